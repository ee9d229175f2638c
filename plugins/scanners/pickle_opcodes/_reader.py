"""Bounded reading: a byte budget, windows over the file, decompression on demand, the reader."""

from __future__ import annotations

import bz2
import lzma
import struct
import zlib
from typing import Any, BinaryIO

_CHUNK = 64 * 1024
_FIRST_CHUNK = 4 * 1024
#: Longest string kept to resolve names with; longer payloads are skipped, never read.
_KEEP_STRING = 4096
#: Distinct globals one stream may reference before it is cut short.
_MAX_GLOBALS = 10_000
#: Distinct memo slots simulated per stream.
_MAX_MEMO = 1_000_000
#: Records kept per kind (unresolved names, indirect calls) per stream.
_MAX_RECORDS = 100
_MAX_NPY_HEADER = 1024 * 1024
_SPOOL_IN_MEMORY = 8 * 1024 * 1024
_HEAD = 512

_ZIP_STORED, _ZIP_DEFLATED, _ZIP_BZIP2, _ZIP_LZMA = 0, 8, 12, 14
_ZIP_METHODS = {
    _ZIP_STORED: "stored",
    _ZIP_DEFLATED: "deflate",
    _ZIP_BZIP2: "bz2",
    _ZIP_LZMA: "zip-lzma",
}
_LOCAL_HEADER = struct.Struct("<4sHHHHHLLLHH")


# --- Bounded reading ---------------------------------------------------------------------------


class _ScanLimitError(Exception):
    def __init__(self, limit: str, message: str) -> None:
        super().__init__(message)
        self.limit = limit


class _TruncatedError(Exception):
    pass


class _BadDataError(Exception):
    pass


class _CorruptError(Exception):
    """Compressed data that cannot be decompressed."""


class _Budget:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.exhausted = False

    def spend(self, count: int) -> None:
        self.used += count
        if self.used > self.limit:
            self.exhausted = True
            raise _ScanLimitError(
                "max_total_bytes", f"more than {self.limit} bytes would have to be read"
            )


class _Window:
    """A byte range of a shared file, read and seeked independently of other windows."""

    def __init__(self, fh: BinaryIO, start: int, length: int):
        self._fh = fh
        self._start = start
        self._length = max(0, length)
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        left = self._length - self._pos
        if size is None or size < 0 or size > left:
            size = left
        if size <= 0:
            return b""
        self._fh.seek(self._start + self._pos)
        data = self._fh.read(size)
        self._pos += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._length}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True


class _Inflater:
    """Decompresses a stream on demand, never more than asked for."""

    def __init__(self, raw: Any, method: str) -> None:
        self._raw = raw
        self._zlib: Any = None
        self._other: Any = None
        try:
            if method == "deflate":
                self._zlib = zlib.decompressobj(-15)
            elif method == "gzip":
                self._zlib = zlib.decompressobj(31)
            elif method == "bz2":
                self._other = bz2.BZ2Decompressor()
            elif method == "xz":
                self._other = lzma.LZMADecompressor()
            else:  # zip's LZMA: version (2 bytes), properties size (2), LZMA1 properties.
                header = raw.read(4)
                if len(header) < 4:
                    raise _CorruptError("truncated LZMA header")
                props = raw.read(struct.unpack("<H", header[2:4])[0])
                if len(props) < 5:
                    raise _CorruptError("truncated LZMA properties")
                lc_lp_pb, dict_size = props[0], struct.unpack("<I", props[1:5])[0]
                pb, rest = divmod(lc_lp_pb, 45)
                lp, lc = divmod(rest, 9)
                self._other = lzma.LZMADecompressor(
                    lzma.FORMAT_RAW,
                    filters=[
                        {
                            "id": lzma.FILTER_LZMA1,
                            "dict_size": dict_size,
                            "lc": lc,
                            "lp": lp,
                            "pb": pb,
                        }
                    ],
                )
        except (lzma.LZMAError, ValueError) as exc:
            raise _CorruptError(str(exc)) from exc
        self._done = False

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = _CHUNK
        try:
            return self._read(size)
        except (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError) as exc:
            raise _CorruptError(str(exc) or type(exc).__name__) from exc

    def _read(self, size: int) -> bytes:
        out = bytearray()
        if self._zlib is not None:
            while len(out) < size and not self._done:
                data = self._zlib.unconsumed_tail
                if not data:
                    data = self._raw.read(_CHUNK)
                    if not data:
                        out += self._zlib.flush()
                        self._done = True
                        break
                out += self._zlib.decompress(data, size - len(out))
                self._done = self._zlib.eof
            return bytes(out)
        while len(out) < size and not self._other.eof:
            data = b""
            if self._other.needs_input:
                data = self._raw.read(_CHUNK)
                if not data:
                    break
            out += self._other.decompress(data, size - len(out))
        return bytes(out)


class _Reader:
    """Forward reader with a byte budget; seeks over payloads when the raw stream can seek."""

    def __init__(self, raw: Any, budget: _Budget, *, size: int | None = None) -> None:
        self._raw = raw
        self._budget = budget
        self._size = size  # bytes from here to the end, when the raw stream can seek
        self._buf = b""
        self._i = 0
        self._chunk = _FIRST_CHUNK
        self.pos = 0
        self.consumed = 0
        self._cap: int | None = None

    def begin_stream(self, max_bytes: int) -> None:
        self._cap = self.consumed + max_bytes

    def end_stream(self) -> None:
        self._cap = None

    def _more(self, want: int) -> bool:
        chunk = self._raw.read(max(want, self._chunk))
        self._chunk = min(self._chunk * 2, _CHUNK)
        if not chunk:
            return False
        self._budget.spend(len(chunk))
        self._buf = self._buf[self._i :] + chunk
        self._i = 0
        return True

    def _advance(self, count: int) -> None:
        self._i += count
        self.pos += count
        self.consumed += count
        if self._cap is not None and self.consumed > self._cap:
            raise _ScanLimitError("max_stream_bytes", "the pickle stream is too long")

    def peek(self, count: int) -> bytes:
        while len(self._buf) - self._i < count:
            if not self._more(count - (len(self._buf) - self._i)):
                break
        return self._buf[self._i : self._i + count]

    def at_eof(self) -> bool:
        return not self.peek(1)

    def read_byte(self) -> int:
        if self._i >= len(self._buf) and not self._more(1):
            return -1
        value = self._buf[self._i]
        self._advance(1)
        return value

    def take(self, count: int) -> bytes:
        while len(self._buf) - self._i < count:
            if not self._more(count - (len(self._buf) - self._i)):
                raise _TruncatedError(f"the data ends inside a {count}-byte argument")
        data = self._buf[self._i : self._i + count]
        self._advance(count)
        return data

    def read_some(self, count: int) -> bytes:
        if self._i >= len(self._buf) and not self._more(count):
            return b""
        data = self._buf[self._i : self._i + count]
        self._advance(len(data))
        return data

    def read(self, size: int = -1) -> bytes:
        """File-like read, so that a decompressor can read through this reader."""
        return self.read_some(size if size is not None and size >= 0 else _CHUNK)

    def read_line(self, keep: int) -> bytes | None:
        """One line without its newline, or None when it is longer than ``keep`` bytes."""
        kept = bytearray()
        too_long = False
        while True:
            newline = self._buf.find(b"\n", self._i)
            end = len(self._buf) if newline < 0 else newline + 1
            if not too_long:
                kept += self._buf[self._i : end]
                too_long = len(kept) > keep + 1
            self._advance(end - self._i)
            if newline >= 0:
                return None if too_long else bytes(kept[:-1])
            if not self._more(1):
                raise _TruncatedError("the data ends inside a line argument")

    def skip(self, count: int) -> None:
        available = len(self._buf) - self._i
        if count <= available:
            self._i += count
            self.pos += count
            return
        self._buf, self._i = b"", 0
        self.pos += available
        count -= available
        if self._size is not None:
            left = max(0, self._size - self.pos)
            step = min(count, left)
            self._raw.seek(step, 1)
            self.pos += step
            if step < count:
                raise _TruncatedError("the data ends inside a payload")
            return
        while count:
            chunk = self._raw.read(min(count, _CHUNK))
            if not chunk:
                raise _TruncatedError("the data ends inside a payload")
            self._budget.spend(len(chunk))
            self.pos += len(chunk)
            count -= len(chunk)
