"""Every hash a hub publishes, computed in one pass over the bytes.

CivitAI publishes, per file: SHA256 (and AutoV2, its first 10 hex digits), BLAKE3, CRC32,
AutoV1 (A1111's legacy hash: SHA256 of the 64 KiB at offset 1 MiB, first 8 hex digits) and,
for safetensors, AutoV3 (SHA256 of everything after the safetensors header — the
"addnet" hash — first 12 hex digits). All are upper-case hex, as CivitAI shows them.

SHA256 runs in the calling thread while BLAKE3, CRC32, AutoV3 and an optional sink (the
write to storage) run in one helper thread; all of them release the GIL on large buffers, so
on two cores the wall time of the pass is close to SHA256's alone.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import blake3

AUTOV1_OFFSET = 0x100000
AUTOV1_LENGTH = 0x10000
#: Chunk size for streaming reads: large enough for the hashers, small enough for memory.
CHUNK_SIZE = 4 * 1024 * 1024


@dataclass(frozen=True)
class Hashes:
    size: int
    sha256: str
    autov1: str
    blake3: str
    crc32: str
    autov3: str = ""

    @property
    def autov2(self) -> str:
        return self.sha256[:10]

    def as_civitai(self) -> dict[str, str]:
        """The hashes under CivitAI's names (AutoV3 only for safetensors files)."""
        named = {
            "SHA256": self.sha256,
            "AutoV1": self.autov1,
            "AutoV2": self.autov2,
            "AutoV3": self.autov3,
            "CRC32": self.crc32,
            "BLAKE3": self.blake3,
        }
        return {name: value for name, value in named.items() if value}


class _AutoV3:
    """SHA256 of the bytes after a safetensors header, if the stream turns out to be one."""

    def __init__(self) -> None:
        self.head = b""
        self.skip: int | None = None  # bytes still to skip before hashing; None: undecided
        self.sha: hashlib._Hash | None = None

    def update(self, chunk: memoryview) -> None:
        if self.skip is None:
            need = 9 - len(self.head)
            self.head += bytes(chunk[:need])
            chunk = chunk[need:]
            if len(self.head) < 9:
                return
            (length,) = struct.unpack("<Q", self.head[:8])
            if not (2 <= length < 2**40 and self.head[8:9] == b"{"):
                self.skip = -1  # not safetensors: AutoV3 does not apply
                return
            self.skip = length - 1  # the "{" is already behind us
            self.sha = hashlib.sha256()
        if self.sha is None:
            return
        if self.skip:
            step = min(self.skip, len(chunk))
            self.skip -= step
            chunk = chunk[step:]
        if chunk:
            self.sha.update(chunk)

    def hexdigest(self) -> str:
        return self.sha.hexdigest()[:12].upper() if self.sha is not None and not self.skip else ""


class MultiHasher:
    """Feed chunks in order with :meth:`update`; read :meth:`result` at the end.

    ``sink`` receives every chunk too (the write to storage), on the helper thread, before
    :meth:`update` returns, so the caller may reuse its buffer.
    """

    def __init__(self, *, sink: Callable[[memoryview], object] | None = None) -> None:
        self._sha256 = hashlib.sha256()
        self._blake3 = blake3.blake3()
        self._crc32 = 0
        self._autov1 = hashlib.sha256()
        self._autov3 = _AutoV3()
        self._size = 0
        self._sink = sink
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hubgate-hash")

    def _side(self, chunk: memoryview, start: int) -> None:
        self._blake3.update(chunk)
        self._crc32 = zlib.crc32(chunk, self._crc32)
        self._autov3.update(chunk)
        lo, hi = max(AUTOV1_OFFSET, start), min(AUTOV1_OFFSET + AUTOV1_LENGTH, start + len(chunk))
        if lo < hi:
            self._autov1.update(chunk[lo - start : hi - start])
        if self._sink is not None:
            self._sink(chunk)

    def update(self, data: bytes | bytearray | memoryview) -> None:
        chunk = memoryview(data)
        if not len(chunk):
            return
        side = self._pool.submit(self._side, chunk, self._size)
        self._sha256.update(chunk)
        self._size += len(chunk)
        side.result()

    def result(self) -> Hashes:
        self._pool.shutdown(wait=True)
        return Hashes(
            size=self._size,
            sha256=self._sha256.hexdigest().upper(),
            autov1=self._autov1.hexdigest()[:8].upper(),
            blake3=self._blake3.hexdigest().upper(),
            crc32=f"{self._crc32:08X}",
            autov3=self._autov3.hexdigest(),
        )

    def close(self) -> None:
        self._pool.shutdown(wait=True)
