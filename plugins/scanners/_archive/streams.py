"""Bounded byte sources and streams over hostile files, and the decompressors.

Every read is bounded: sources read through a small window, streams read forward with a
bounded read-ahead, and decompression counts what it produces against the ratio and total
limits of the scan it belongs to (a :class:`Budget`), raising :class:`Stop` (this archive
cannot be read further) or :class:`Abort` (the whole file's limit is reached).
"""

from __future__ import annotations

import bz2
import lzma
import struct
import zlib
from typing import Any, BinaryIO, Protocol

from governance.hookspecs import Severity

GiB = 1 << 30
MiB = 1 << 20
#: Members smaller than this are not judged by ratio (a few KiB of zeros compress 1000:1).
RATIO_MIN_BYTES = 1 * MiB
CHUNK = 1 * MiB
#: Read-ahead of streams and compressed input per step: sniffing a member costs about this
#: much, whatever the member's size.
READ_AHEAD = 16 << 10
INPUT_CHUNK = 64 << 10
#: xz streams may ask for a dictionary of up to 1.5 GiB; refuse to allocate more than this.
MAX_XZ_MEMORY = 256 * MiB

_ZLIB_TYPE = type(zlib.decompressobj())


class Budget(Protocol):
    """What decompression charges: the scan's limits and its running decompressed total."""

    limits: dict[str, int | float]
    decompressed: int


# --- Outcomes -------------------------------------------------------------------------------

HERE = "<the archive being walked>"


class Stop(Exception):
    """The current archive cannot be read further; the finding says why."""

    def __init__(
        self, code: str, message: str, severity: Severity = Severity.HIGH, **detail: Any
    ) -> None:
        super().__init__(message)
        self.code = code
        self.severity = severity
        self.detail = detail
        #: The archive or member whose bytes failed (None: the file itself), when a stream
        #: raised; a member read through a broken outer stream must not take the blame.
        self.owner: str | None = HERE

    def belongs_above(self, path: str) -> bool:
        """Whether the failure is in an archive that contains ``path``, not in ``path``."""
        if self.owner == HERE:
            return False
        return self.owner is None or not (self.owner == path or self.owner.startswith(f"{path}!/"))


class Abort(Stop):
    """A limit for the whole file was reached; nothing more is scanned."""


def malformed(message: str, **detail: Any) -> Stop:
    return Stop("malformed", message, **detail)


# --- Byte sources ---------------------------------------------------------------------------


class Source:
    """Random access to a range of bytes, through a small read-ahead window."""

    WINDOW = 1 << 16

    def __init__(self, size: int) -> None:
        self.size = size
        self._cache_start = 0
        self._cache = b""

    def _read(self, offset: int, n: int) -> bytes:
        raise NotImplementedError

    def read_at(self, offset: int, n: int) -> bytes:
        if offset < 0 or n <= 0 or offset >= self.size:
            return b""
        n = min(n, self.size - offset)
        start = offset - self._cache_start
        if start < 0 or start + n > len(self._cache):
            if n >= self.WINDOW:
                return self._read(offset, n)
            self._cache = self._read(offset, min(self.WINDOW, self.size - offset))
            self._cache_start = offset
            start = 0
        return self._cache[start : start + n]


class BytesSource(Source):
    def __init__(self, data: bytes) -> None:
        super().__init__(len(data))
        self.data = data

    def _read(self, offset: int, n: int) -> bytes:
        return self.data[offset : offset + n]


class FileSource(Source):
    def __init__(self, fh: BinaryIO, size: int) -> None:
        super().__init__(size)
        self.fh = fh

    def _read(self, offset: int, n: int) -> bytes:
        self.fh.seek(offset)
        return self.fh.read(n)


class Window(Source):
    def __init__(self, parent: Source, start: int, size: int) -> None:
        super().__init__(max(0, min(size, parent.size - start)))
        self.parent = parent
        self.start = start

    def _read(self, offset: int, n: int) -> bytes:
        return self.parent.read_at(self.start + offset, n)


class Stream(Protocol):
    def read(self, n: int) -> bytes: ...
    def seek(self, pos: int, whence: int = 0) -> int: ...
    def tell(self) -> int: ...


class SourceStream:
    """A file-like view of a source (random access, so seeking is free)."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.pos = 0

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self.source.size - self.pos
        data = self.source.read_at(self.pos, n)
        self.pos += len(data)
        return data

    def seek(self, pos: int, whence: int = 0) -> int:
        self.pos = {0: pos, 1: self.pos + pos, 2: self.source.size + pos}[whence]
        return self.pos

    def tell(self) -> int:
        return self.pos


class Forward:
    """A forward-only stream that keeps some history, so readers may step back a little."""

    HISTORY = 1 << 16

    def __init__(self) -> None:
        self.pos = 0
        self._buf = bytearray()
        self._buf_start = 0
        self._eof = False

    def _raw_read(self, n: int) -> bytes:
        raise NotImplementedError

    def _end(self) -> int:
        return self._buf_start + len(self._buf)

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            raise ValueError("unbounded reads are not supported")
        while self._end() < self.pos + n and not self._eof:
            if self._end() < self.pos:  # positioned past the data we have: discard it
                self._buf_start, self._buf = self._end(), bytearray()
            data = self._raw_read(max(READ_AHEAD, self.pos + n - self._end()))
            if not data:
                self._eof = True
            self._buf += data
            self._trim(keep_from=min(self.pos, self._end()))
        offset = self.pos - self._buf_start
        data = bytes(self._buf[offset : offset + n]) if offset >= 0 else b""
        self.pos += len(data)
        self._trim(keep_from=self.pos)
        return data

    def _trim(self, keep_from: int) -> None:
        drop = keep_from - self.HISTORY - self._buf_start
        if drop > 0:
            del self._buf[:drop]
            self._buf_start += drop

    def seek(self, pos: int, whence: int = 0) -> int:
        target = {0: pos, 1: self.pos + pos}[whence]
        if target < self._buf_start:
            raise ValueError(f"cannot seek back to {target}; history starts at {self._buf_start}")
        while self._end() < target and not self._eof:
            self._buf_start, self._buf = self._end(), bytearray()
            data = self._raw_read(min(CHUNK, target - self._end()) or 1)
            if not data:
                self._eof = True
            self._buf += data
        self.pos = target
        self._trim(keep_from=min(target, self._end()))
        return self.pos

    def tell(self) -> int:
        return self.pos


class Limited(Forward):
    """At most ``size`` bytes of ``parent`` from where it stands now."""

    def __init__(self, parent: Stream, size: int) -> None:
        super().__init__()
        self.parent = parent
        self.remaining = size

    def _raw_read(self, n: int) -> bytes:
        data = self.parent.read(min(n, self.remaining))
        self.remaining -= len(data)
        return data


class Decompressed(Forward):
    """Decompressed bytes of ``parent``, with the ratio and size limits enforced as it goes."""

    def __init__(self, parent: Stream, kind: str, scan: Budget | None, owner: str | None) -> None:
        super().__init__()
        self.parent = parent
        self.kind = kind
        self.scan = scan
        self.owner = owner
        self.what = "the archive" if owner is None else repr(owner)
        self.consumed = 0
        self.produced = 0
        self._pending = b""
        self._d: Any = None
        self._finished = False

    def _new(self) -> Any:
        if self.kind == "gzip":
            return zlib.decompressobj(wbits=31)
        if self.kind == "deflate":
            return zlib.decompressobj(wbits=-15)
        if self.kind in ("bzip2", "bzip2_zip"):
            return bz2.BZ2Decompressor()
        if self.kind == "xz":
            return lzma.LZMADecompressor(format=lzma.FORMAT_XZ, memlimit=MAX_XZ_MEMORY)
        raise ValueError(f"unknown compression {self.kind}")

    def _zip_lzma(self) -> Any:
        # A zip LZMA member starts with a version, the size of the properties and the
        # properties (lc/lp/pb and the dictionary size) of a raw LZMA1 stream.
        header = self._input(4)
        if len(header) < 4:
            raise malformed(f"{self.what}: the LZMA header is truncated")
        (props_size,) = struct.unpack("<H", header[2:4])
        props = self._input(props_size)
        if props_size != 5 or len(props) != 5:
            raise malformed(f"{self.what}: the LZMA properties are invalid")
        (dict_size,) = struct.unpack("<I", props[1:5])
        lc_lp_pb = props[0]
        if lc_lp_pb >= 9 * 5 * 5 or dict_size > MAX_XZ_MEMORY:
            raise malformed(f"{self.what}: the LZMA properties are invalid or too demanding")
        pb, rest = divmod(lc_lp_pb, 45)
        lp, lc = divmod(rest, 9)
        flt = {"id": lzma.FILTER_LZMA1, "dict_size": dict_size, "lc": lc, "lp": lp, "pb": pb}
        try:
            return lzma.LZMADecompressor(format=lzma.FORMAT_RAW, filters=[flt])
        except (lzma.LZMAError, ValueError) as exc:
            raise malformed(f"{self.what}: the LZMA properties are invalid ({exc})") from exc

    def _input(self, n: int) -> bytes:
        if self._pending:
            data, self._pending = self._pending[:n], self._pending[n:]
            return data
        data = self.parent.read(n)
        self.consumed += len(data)
        return data

    def _raw_read(self, n: int) -> bytes:
        try:
            while not self._finished:
                out = self._step(n)
                if out:
                    self._account(len(out))
                    return out
        except Abort:
            raise
        except Stop as stop:
            if stop.owner == HERE:
                stop.owner = self.owner
            raise
        return b""

    def _step(self, n: int) -> bytes:
        if self._d is None:
            self._d = self._zip_lzma() if self.kind == "lzma_zip" else self._new()
        d = self._d
        if d.eof:
            self._next_stream()
            return b""
        if isinstance(d, _ZLIB_TYPE):
            data = d.unconsumed_tail or self._input(INPUT_CHUNK)
            out = self._decompress(data, n)
            hungry = not data
        else:
            hungry = d.needs_input
            data = self._input(INPUT_CHUNK) if hungry else b""
            out = self._decompress(data, n)
            hungry = hungry and not data
        if hungry and not out and not d.eof:
            raise malformed(f"{self.what}: the compressed stream is truncated")
        return out

    def _decompress(self, data: bytes, n: int) -> bytes:
        try:
            return self._d.decompress(data, n)
        except (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError) as exc:
            raise malformed(f"{self.what}: the compressed data is damaged ({exc})") from exc

    def _next_stream(self) -> None:
        """gzip, bzip2 and xz files may hold several streams back to back (zero padded)."""
        leftover = self._d.unused_data
        if self.kind not in ("gzip", "bzip2", "xz"):
            self._finished = True
            return
        while True:
            leftover = leftover.lstrip(b"\0")
            if leftover:
                break
            leftover = self._input(INPUT_CHUNK)
            if not leftover:
                self._finished = True
                return
        self._pending = leftover
        self._d = self._new()

    def _account(self, n: int) -> None:
        self.produced += n
        if self.scan is None:
            return
        limit = self.scan.limits["max_ratio"]
        if self.produced > RATIO_MIN_BYTES and self.produced > limit * max(self.consumed, 1):
            raise Stop(
                "compression_ratio",
                f"{self.what}: {self.consumed} compressed bytes have already expanded to "
                f"{self.produced}, a ratio above {limit}; a decompression bomb.",
                compressed_bytes=self.consumed,
                decompressed_bytes=self.produced,
            )
        self.scan.decompressed += n
        if self.scan.decompressed > self.scan.limits["max_total_bytes"]:
            raise Abort(
                "total_size_exceeded",
                f"Unpacking needs more than {self.scan.limits['max_total_bytes']} bytes of "
                "decompression.",
                limit=self.scan.limits["max_total_bytes"],
            )
