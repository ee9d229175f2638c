"""Every scanner together on hostile files: each gets a finding, none gets a traceback."""

import io
import json
import random
import struct
import zipfile

import pytest

from governance.scanning.engine import scan_path
from tests.ingest.test_formats import SAMPLES

RNG = random.Random(4)
NAMES = ["model.safetensors", "model.ckpt", "model.gguf", "model.onnx", "model.bin", "m.keras"]


def torch_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
        archive.writestr("archive/data/0", bytes(4096))
    return buffer.getvalue()


def huge_header_safetensors() -> bytes:
    return struct.pack("<Q", 2**38) + b'{"a": ' + bytes(64)


def huge_gguf() -> bytes:
    return b"GGUF" + struct.pack("<IQQ", 3, 2**60, 2**60) + bytes(32)


HOSTILE = {
    "empty": b"",
    "random": RNG.randbytes(65536),
    "truncated-safetensors": SAMPLES[next(k for k in SAMPLES if k.value == "safetensors")][:20],
    "truncated-zip": torch_zip()[:-30],
    "truncated-gguf": b"GGUF" + struct.pack("<I", 3) + b"\x01",
    "huge-header-safetensors": huge_header_safetensors(),
    "huge-counts-gguf": huge_gguf(),
    "json-pretending": json.dumps({"weights": [1, 2, 3]}).encode(),
}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_file_gets_findings_and_no_scanner_fails(tmp_path, name, kind) -> None:
    path = tmp_path / name
    path.write_bytes(HOSTILE[kind])
    outcome = scan_path(path)
    assert outcome.failures == {}, outcome.failures
    assert outcome.findings, f"{kind} as {name}: no finding"
    assert outcome.verdict.value != "clean"
