"""Single-pass hashing equals each hash computed on its own, however the bytes are chunked."""

import hashlib
import json
import os
import random
import struct
import zlib

import blake3
import pytest

from governance.ingest.hashing import AUTOV1_LENGTH, AUTOV1_OFFSET, MultiHasher


def reference(data: bytes) -> dict[str, str]:
    sha = hashlib.sha256(data).hexdigest().upper()
    hashes = {
        "SHA256": sha,
        "AutoV2": sha[:10],
        "AutoV1": hashlib.sha256(data[AUTOV1_OFFSET : AUTOV1_OFFSET + AUTOV1_LENGTH])
        .hexdigest()[:8]
        .upper(),
        "CRC32": f"{zlib.crc32(data):08X}",
        "BLAKE3": blake3.blake3(data).hexdigest().upper(),
    }
    if len(data) > 9 and data[8:9] == b"{":
        (n,) = struct.unpack("<Q", data[:8])
        hashes["AutoV3"] = hashlib.sha256(data[8 + n :]).hexdigest()[:12].upper()
    return hashes


def hash_in_chunks(data: bytes, seed: int) -> dict[str, str]:
    rng = random.Random(seed)
    hasher = MultiHasher()
    position = 0
    while position < len(data):
        step = rng.choice([1, 7, 4096, 65_537, 1 << 20])
        hasher.update(data[position : position + step])
        position += step
    result = hasher.result()
    assert result.size == len(data)
    return result.as_civitai()


def safetensors_bytes(payload: int) -> bytes:
    header = json.dumps({"w": {"dtype": "U8", "shape": [payload], "data_offsets": [0, payload]}})
    return struct.pack("<Q", len(header)) + header.encode() + os.urandom(payload)


@pytest.mark.parametrize("size", [0, 1, 1000, AUTOV1_OFFSET + 5, 3 * 1024 * 1024 + 17])
@pytest.mark.parametrize("seed", [1, 2])
def test_every_hash_matches_its_reference(size: int, seed: int) -> None:
    data = random.Random(size + seed).randbytes(size)
    assert hash_in_chunks(data, seed) == reference(data)


def test_autov3_is_the_hash_of_the_tensor_data_after_the_safetensors_header() -> None:
    data = safetensors_bytes(2 * 1024 * 1024 + 3)
    hashes = hash_in_chunks(data, 3)
    assert hashes["AutoV3"] == reference(data)["AutoV3"]
    assert len(hashes["AutoV3"]) == 12


def test_autov3_does_not_apply_to_other_formats() -> None:
    assert "AutoV3" not in hash_in_chunks(b"PK\x03\x04" + os.urandom(5000), 4)


def test_a_sink_receives_every_byte_in_order() -> None:
    received = bytearray()
    hasher = MultiHasher(sink=received.extend)
    data = os.urandom(5 * 1024 * 1024 + 11)
    for i in range(0, len(data), 1 << 20):
        hasher.update(data[i : i + (1 << 20)])
    assert hasher.result().sha256 == hashlib.sha256(data).hexdigest().upper()
    assert bytes(received) == data
