"""Inspects zip, tar (plain, gzip, bzip2, xz) and 7z archives for what hurts whoever unpacks them.

Recognised by content: a zip by its local header (``PK\\x03\\x04``) or, with bytes prepended, by
an end-of-central-directory record that exactly ends the file and points at a valid central
directory; a tar by a header block whose checksum holds (in the file or in the first block a
gzip/bzip2/xz stream decompresses to); 7z by its signature.

Zip archives are judged from the central directory and local headers, without decompressing:
member count, declared sizes (per member, in total, compression ratio), overlapping members
(the non-recursive "better zip bomb", many entries sharing one compressed kernel), local and
central names that disagree (each tool sees a different archive), bytes prepended before the
archive (a polyglot: ``torch.load`` reads such a file as a pickle, a zip scanner as a clean
zip), encryption (contents cannot be scanned), unreadable compression methods, symlinks and
device files in Unix attributes, unsafe names and duplicates. Tar archives are walked with
``tarfile`` in its plain read mode over a bounded stream (the decompressor is ours, with the
same size and ratio limits), through a guard that refuses extended headers (pax, GNU long
names) above 1 MiB, pax records that are malformed or could make the 3.11 ``tarfile`` regexes
backtrack for minutes, and GNU sparse members; the archive must end with an end-of-archive
block, since ``tarfile`` silently stops at the first damaged header and would hide what
follows, and another archive after that block (which ``tar --ignore-zeros`` unpacks) is
reported too. Links are high; a link whose target is absolute or climbs out of the extraction
directory is critical, because a later member written through it lands anywhere on disk. 7z
is reported as uninspectable: there is no 7z reader here.

Members whose first bytes are an archive are scanned in turn, up to ``max_depth`` levels:
stored zip members and plain tar members in place, compressed ones streamed through a bounded
decompressor, and a compressed member that is itself a zip copied to a temporary file of at
most ``max_nested_bytes``. Member paths inside nested archives are written ``outer!/inner``.
Declared sizes and decompressed bytes count against the same limits at every level.
"""

from __future__ import annotations

import bz2
import lzma
import posixpath
import re
import stat
import struct
import tarfile
import tempfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

from governance.hookspecs import FileToScan, Finding, Severity, hookimpl

NAME = "archives"
GiB = 1 << 30
MiB = 1 << 20

DEFAULTS: dict[str, int | float] = {
    "max_total_bytes": 64 * GiB,
    "max_member_bytes": 32 * GiB,
    "max_ratio": 200,
    "max_members": 100_000,
    "max_depth": 3,
    "max_nested_bytes": 1 * GiB,
}
#: Members smaller than this are not judged by ratio (a few KiB of zeros compress 1000:1).
RATIO_MIN_BYTES = 1 * MiB
MAX_FINDINGS_PER_CODE = 20
CHUNK = 1 * MiB
#: Read-ahead of streams and compressed input per step: sniffing a member costs about this
#: much, whatever the member's size.
READ_AHEAD = 16 << 10
INPUT_CHUNK = 64 << 10
#: Member names are kept for the duplicate check; more than this in total is refused.
MAX_NAME_BYTES_TOTAL = 64 * MiB
MAX_DEPTH_LIMIT = 16
#: What is read of a compressed member to recognise an archive in it (the gzip header with
#: its optional fields, then the first tar block, must decompress from this much).
PROBE_BYTES = 1 << 16
BLOCK = tarfile.BLOCKSIZE
#: One pax header or GNU long name, and all of them in one archive.
MAX_EXTENDED_HEADER_BYTES = 1 * MiB
MAX_EXTENDED_HEADERS_TOTAL = 64 * MiB
#: Python 3.11's tarfile searches pax headers with ``\d+`` patterns that backtrack
#: quadratically over long runs of digits (CVE-2024-6232).
MAX_PAX_DIGIT_RUN = 64
MAX_LINK_TARGET_BYTES = 4096
#: xz streams may ask for a dictionary of up to 1.5 GiB; refuse to allocate more than this.
MAX_XZ_MEMORY = 256 * MiB

ZIP_LOCAL = b"PK\x03\x04"
ZIP_CENTRAL = b"PK\x01\x02"
ZIP_END = b"PK\x05\x06"
ZIP64_LOCATOR = b"PK\x06\x07"
ZIP64_END = b"PK\x06\x06"
SEVEN_ZIP = b"7z\xbc\xaf\x27\x1c"
GZIP = b"\x1f\x8b\x08"
XZ = b"\xfd7zXZ\x00"
_BZIP2 = re.compile(rb"BZh[1-9](?:1AY&SY|\x17rE8P\x90)")
STORED, DEFLATED, BZIP2ED, LZMAED = 0, 8, 12, 14
READABLE_METHODS = frozenset({STORED, DEFLATED, BZIP2ED, LZMAED})
AES_METHOD = 99
UNIX_HOSTS = frozenset({3, 19})  # Unix, OS X: external attributes carry st_mode
_DRIVE = re.compile(r"^[A-Za-z]:")
_PAX_LENGTH = re.compile(rb"([0-9]{1,20}) ")
_DIGIT_RUN = re.compile(rb"[0-9]{%d}" % (MAX_PAX_DIGIT_RUN + 1))

_ZLIB_TYPE = type(zlib.decompressobj())

_config: dict[str, int | float] = dict(DEFAULTS)


@hookimpl
def hubgate_configure(config: Mapping[str, Any]) -> None:
    unknown = set(config) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown archives option(s): {', '.join(sorted(unknown))}")
    values = dict(DEFAULTS)
    for key, value in config.items():
        if key == "max_ratio":
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 1:
                raise ValueError("max_ratio must be a number above 1")
            if value != value or value == float("inf"):
                raise ValueError("max_ratio must be finite")
        elif key == "max_depth":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError("max_depth must be an integer")
            if not 0 <= value <= MAX_DEPTH_LIMIT:
                raise ValueError(f"max_depth must lie between 0 and {MAX_DEPTH_LIMIT}")
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{key} must be a positive integer")
        values[key] = value
    _config.update(values)


# --- Outcomes -------------------------------------------------------------------------------


_HERE = "<the archive being walked>"


class _Stop(Exception):
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
        self.owner: str | None = _HERE

    def belongs_above(self, path: str) -> bool:
        """Whether the failure is in an archive that contains ``path``, not in ``path``."""
        if self.owner == _HERE:
            return False
        return self.owner is None or not (self.owner == path or self.owner.startswith(f"{path}!/"))


class _Abort(_Stop):
    """A limit for the whole file was reached; nothing more is scanned."""


def _malformed(message: str, **detail: Any) -> _Stop:
    return _Stop("malformed", message, **detail)


# --- Byte sources ---------------------------------------------------------------------------


class _Source:
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


class _BytesSource(_Source):
    def __init__(self, data: bytes) -> None:
        super().__init__(len(data))
        self.data = data

    def _read(self, offset: int, n: int) -> bytes:
        return self.data[offset : offset + n]


class _FileSource(_Source):
    def __init__(self, fh: BinaryIO, size: int) -> None:
        super().__init__(size)
        self.fh = fh

    def _read(self, offset: int, n: int) -> bytes:
        self.fh.seek(offset)
        return self.fh.read(n)


class _Window(_Source):
    def __init__(self, parent: _Source, start: int, size: int) -> None:
        super().__init__(max(0, min(size, parent.size - start)))
        self.parent = parent
        self.start = start

    def _read(self, offset: int, n: int) -> bytes:
        return self.parent.read_at(self.start + offset, n)


class _Stream(Protocol):
    def read(self, n: int) -> bytes: ...
    def seek(self, pos: int, whence: int = 0) -> int: ...
    def tell(self) -> int: ...


class _SourceStream:
    """A file-like view of a source (random access, so seeking is free)."""

    def __init__(self, source: _Source) -> None:
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


class _Forward:
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


class _Limited(_Forward):
    """At most ``size`` bytes of ``parent`` from where it stands now."""

    def __init__(self, parent: _Stream, size: int) -> None:
        super().__init__()
        self.parent = parent
        self.remaining = size

    def _raw_read(self, n: int) -> bytes:
        data = self.parent.read(min(n, self.remaining))
        self.remaining -= len(data)
        return data


class _Decompressed(_Forward):
    """Decompressed bytes of ``parent``, with the ratio and size limits enforced as it goes."""

    def __init__(self, parent: _Stream, kind: str, scan: _Scan | None, owner: str | None) -> None:
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
            raise _malformed(f"{self.what}: the LZMA header is truncated")
        (props_size,) = struct.unpack("<H", header[2:4])
        props = self._input(props_size)
        if props_size != 5 or len(props) != 5:
            raise _malformed(f"{self.what}: the LZMA properties are invalid")
        (dict_size,) = struct.unpack("<I", props[1:5])
        lc_lp_pb = props[0]
        if lc_lp_pb >= 9 * 5 * 5 or dict_size > MAX_XZ_MEMORY:
            raise _malformed(f"{self.what}: the LZMA properties are invalid or too demanding")
        pb, rest = divmod(lc_lp_pb, 45)
        lp, lc = divmod(rest, 9)
        flt = {"id": lzma.FILTER_LZMA1, "dict_size": dict_size, "lc": lc, "lp": lp, "pb": pb}
        try:
            return lzma.LZMADecompressor(format=lzma.FORMAT_RAW, filters=[flt])
        except (lzma.LZMAError, ValueError) as exc:
            raise _malformed(f"{self.what}: the LZMA properties are invalid ({exc})") from exc

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
        except _Abort:
            raise
        except _Stop as stop:
            if stop.owner == _HERE:
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
            raise _malformed(f"{self.what}: the compressed stream is truncated")
        return out

    def _decompress(self, data: bytes, n: int) -> bytes:
        try:
            return self._d.decompress(data, n)
        except (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError) as exc:
            raise _malformed(f"{self.what}: the compressed data is damaged ({exc})") from exc

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
            raise _Stop(
                "compression_ratio",
                f"{self.what}: {self.consumed} compressed bytes have already expanded to "
                f"{self.produced}, a ratio above {limit}; a decompression bomb.",
                compressed_bytes=self.consumed,
                decompressed_bytes=self.produced,
            )
        self.scan.decompressed += n
        if self.scan.decompressed > self.scan.limits["max_total_bytes"]:
            raise _Abort(
                "total_size_exceeded",
                f"Unpacking needs more than {self.scan.limits['max_total_bytes']} bytes of "
                "decompression.",
                limit=self.scan.limits["max_total_bytes"],
            )


# --- Recognising archives -------------------------------------------------------------------


def _tar_checksum_ok(block: bytes) -> bool:
    if len(block) < BLOCK:
        return False
    field_ = block[148:156].replace(b"\0", b" ").strip()
    if not field_ or not all(48 <= c <= 55 for c in field_):
        return False
    expected = int(field_, 8)
    unsigned = sum(block[:148]) + 8 * 32 + sum(block[156:BLOCK])
    signed = unsigned - 2 * sum(c for c in block[:148] + block[156:BLOCK] if c > 127)
    return expected in (unsigned, signed)


def _compression(head: bytes) -> str | None:
    if head.startswith(GZIP):
        return "gzip"
    if head.startswith(XZ):
        return "xz"
    if _BZIP2.match(head):
        return "bzip2"
    return None


def _is_compressed_tar(source: _Source, kind: str) -> bool:
    """Whether the stream decompresses to a block that is a tar header."""
    try:
        head = _Decompressed(_SourceStream(source), kind, None, None).read(BLOCK)
    except _Stop:
        return False
    return _tar_checksum_ok(head)


def _identify(source: _Source, *, whole: bool = True) -> str | None:
    """What kind of archive the bytes are, or None; ``whole`` is False for a prefix only."""
    head = source.read_at(0, BLOCK)
    if head.startswith(SEVEN_ZIP):
        return "7z"
    if head.startswith((ZIP_LOCAL, ZIP_END)):
        return "zip"
    if _tar_checksum_ok(head):
        return "tar"
    kind = _compression(head)
    if kind is not None and _is_compressed_tar(source, kind):
        return kind
    if not whole:
        return None
    end = _zip_end(source, exact=True)
    if end is not None:
        try:
            directory = _zip_directory(source, *end)
        except _Stop:
            return None
        first = source.read_at(directory.start, 4)
        if first == ZIP_CENTRAL or (directory.count == 0 and directory.size == 0):
            return "zip"
    return None


# --- Zip structures -------------------------------------------------------------------------


@dataclass(frozen=True)
class _ZipDirectory:
    start: int
    size: int
    count: int
    prefix: int
    end_offset: int


@dataclass
class _ZipEntry:
    name: str
    raw_name: bytes
    flags: int
    method: int
    compressed: int
    uncompressed: int
    local_offset: int
    made_by: int
    external: int

    @property
    def mode(self) -> int | None:
        return self.external >> 16 if self.made_by >> 8 in UNIX_HOSTS else None

    @property
    def encrypted(self) -> bool:
        return bool(self.flags & 1) or self.method == AES_METHOD


def _zip_end(source: _Source, *, exact: bool) -> tuple[int, bytes] | None:
    """The end-of-central-directory record: its offset and its 22 fixed bytes.

    With ``exact``, only a record whose comment ends the file counts; otherwise the last
    record that fits is taken (bytes may follow it).
    """
    tail_size = min(source.size, 22 + 0xFFFF)
    tail_start = source.size - tail_size
    tail = source.read_at(tail_start, tail_size)
    loose = None
    at = tail.rfind(ZIP_END)
    while at >= 0:
        if len(tail) - at >= 22:
            (comment,) = struct.unpack("<H", tail[at + 20 : at + 22])
            if at + 22 + comment == len(tail):
                return tail_start + at, tail[at : at + 22]
            if loose is None and at + 22 + comment < len(tail):
                loose = (tail_start + at, tail[at : at + 22])
        at = tail.rfind(ZIP_END, 0, at)
    return None if exact else loose


def _zip_directory(source: _Source, end_offset: int, end: bytes) -> _ZipDirectory:
    disk, cd_disk, on_disk, count, size, offset = struct.unpack("<HHHHII", end[4:20])
    record = end_offset
    locator = source.read_at(end_offset - 20, 20) if end_offset >= 20 else b""
    if locator[:4] == ZIP64_LOCATOR:
        (disks,) = struct.unpack("<I", locator[16:20])
        record = end_offset - 20 - 56
        zip64 = source.read_at(record, 56) if record >= 0 else b""
        if len(zip64) < 56 or zip64[:4] != ZIP64_END:
            raise _malformed("The zip64 end-of-central-directory record is missing or damaged.")
        disk, cd_disk, on_disk, count, size, offset = struct.unpack("<IIQQQQ", zip64[16:56])
        if disks > 1:
            disk = disks
    if disk or cd_disk or on_disk != count:
        raise _malformed("The zip archive is split across several disks; it cannot be read.")
    start = record - size
    prefix = start - offset
    if start < 0 or prefix < 0:
        raise _malformed(
            "The zip's central directory lies outside the file.",
            central_directory_offset=offset,
            central_directory_size=size,
        )
    return _ZipDirectory(start, size, count, prefix, end_offset)


def _zip64_values(entry: _ZipEntry, extra: bytes) -> None:
    wanted = [
        name
        for name, value in (
            ("uncompressed", entry.uncompressed),
            ("compressed", entry.compressed),
            ("local_offset", entry.local_offset),
        )
        if value == 0xFFFFFFFF
    ]
    if not wanted:
        return
    pos = 0
    while pos + 4 <= len(extra):
        tag, size = struct.unpack("<HH", extra[pos : pos + 4])
        data = extra[pos + 4 : pos + 4 + size]
        if tag == 1:
            if len(data) < 8 * len(wanted):
                break
            for index, name in enumerate(wanted):
                (value,) = struct.unpack("<Q", data[8 * index : 8 * index + 8])
                setattr(entry, name, value)
            return
        pos += 4 + size
    raise _malformed(f"Member {_clean(entry.name)!r} lacks the zip64 sizes its header promises.")


def _zip_entries(source: _Source, directory: _ZipDirectory, limit: int) -> list[_ZipEntry]:
    entries: list[_ZipEntry] = []
    name_bytes = 0
    view = _SourceStream(_Window(source, directory.start, directory.size))
    while view.tell() < directory.size:
        if len(entries) >= limit:
            raise _Abort(
                "too_many_members",
                f"The archive holds more than {limit} members (the limit for the whole file).",
                limit=limit,
            )
        header = view.read(46)
        if len(header) < 46 or header[:4] != ZIP_CENTRAL:
            raise _malformed(
                f"Central directory entry {len(entries)} is damaged.", entry=len(entries)
            )
        (made_by, _, flags, method, _, _, _, compressed, uncompressed,
         name_len, extra_len, comment_len, _, _, external, local) = struct.unpack(
            "<HHHHHHIIIHHHHHII", header[4:46])  # fmt: skip
        name_bytes += name_len
        if name_bytes > MAX_NAME_BYTES_TOTAL:
            raise _malformed(
                f"The member names add up to more than {MAX_NAME_BYTES_TOTAL} bytes.",
            )
        raw_name = view.read(name_len)
        extra = view.read(extra_len)
        view.seek(comment_len, 1)
        if len(raw_name) < name_len or len(extra) < extra_len or view.tell() > directory.size:
            raise _malformed("The central directory is truncated.")
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
        entry = _ZipEntry(
            name, raw_name, flags, method, compressed, uncompressed, local, made_by, external
        )
        _zip64_values(entry, extra)
        entries.append(entry)
    if len(entries) != directory.count:
        raise _malformed(
            f"The end record counts {directory.count} members but the central directory holds "
            f"{len(entries)}; tools disagree on what is in this archive.",
            declared=directory.count,
            found=len(entries),
        )
    return entries


# --- The scan -------------------------------------------------------------------------------


@dataclass
class _Scan:
    limits: dict[str, int | float]
    pending: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    members: int = 0
    total_bytes: int = 0
    decompressed: int = 0

    def add(
        self,
        code: str,
        severity: Severity,
        message: str,
        member: str | None = None,
        /,
        **detail: Any,
    ) -> None:
        seen = self.counts.get(code, 0)
        self.counts[code] = seen + 1
        if seen < MAX_FINDINGS_PER_CODE:
            self.pending.append(
                {"code": code, "severity": severity, "message": message, "member": member,
                 "detail": detail}
            )  # fmt: skip

    def stopped(self, stop: _Stop, member: str | None) -> None:
        self.add(stop.code, stop.severity, str(stop), member, **stop.detail)

    def result(self) -> list[Finding]:
        findings = [
            Finding(
                code=f"archive.{p['code']}",
                severity=p["severity"],
                message=p["message"],
                member=p["member"],
                detail=p["detail"],
            )
            for p in self.pending
        ]
        for code, count in self.counts.items():
            if count > MAX_FINDINGS_PER_CODE:
                findings.append(
                    Finding(
                        code="archive.more_findings",
                        severity=Severity.INFO,
                        message=f"{count - MAX_FINDINGS_PER_CODE} more archive.{code} findings "
                        "were not listed.",
                        detail={
                            "code": f"archive.{code}",
                            "not_listed": count - MAX_FINDINGS_PER_CODE,
                        },
                    )
                )
        return findings

    # -- accounting shared by every level

    def count_member(self) -> None:
        self.members += 1
        if self.members > self.limits["max_members"]:
            raise _Abort(
                "too_many_members",
                f"The archive holds more than {self.limits['max_members']} members "
                "(nested archives included).",
                limit=self.limits["max_members"],
            )

    def count_bytes(self, size: int, member: str) -> bool:
        """Add a member's size; False (with a finding) when it is too large to unpack."""
        ok = True
        if size > self.limits["max_member_bytes"]:
            self.add(
                "member_too_large",
                Severity.HIGH,
                f"The member unpacks to {size} bytes, above the {self.limits['max_member_bytes']}"
                "-byte limit.",
                member,
                size=size,
                limit=self.limits["max_member_bytes"],
            )
            ok = False
        self.total_bytes += size
        if self.total_bytes > self.limits["max_total_bytes"]:
            raise _Abort(
                "total_size_exceeded",
                f"The archive unpacks to more than {self.limits['max_total_bytes']} bytes "
                "(nested archives included); a decompression bomb.",
                limit=self.limits["max_total_bytes"],
                member_reached=member,
            )
        return ok

    def check_name(self, name: str, member: str, seen: set[str]) -> None:
        for code, why in _path_problems(name):
            self.add(
                code,
                Severity.HIGH,
                f"Member name {member!r} {why}: unpacking it can write outside the target "
                "directory.",
                member,
            )
        if name in seen:
            self.add(
                "duplicate_name",
                Severity.MEDIUM,
                f"Member name {member!r} appears more than once; tools disagree on which copy "
                "wins.",
                member,
            )
        seen.add(name)

    def check_link(self, name: str, target: str, member: str, *, hard: bool) -> None:
        kind = "hard link" if hard else "symbolic link"
        shown = _clean(target)
        if _link_escapes(name, target, hard=hard):
            self.add(
                "link_escapes",
                Severity.CRITICAL,
                f"Member {member!r} is a {kind} to {shown!r}, outside the extraction directory: "
                "a member written through it can overwrite any file.",
                member,
                target=shown,
                link_type=kind,
            )
        else:
            self.add(
                "link",
                Severity.HIGH,
                f"Member {member!r} is a {kind} to {shown!r}; links in a model archive let one "
                "file stand for another.",
                member,
                target=shown,
                link_type=kind,
            )

    # -- archives

    def archive(self, source: _Source, kind: str, path: str | None, depth: int) -> None:
        prefix = "" if path is None else f"{path}!/"
        try:
            if kind == "7z":
                self.add(
                    "seven_zip",
                    Severity.HIGH,
                    "A 7z archive: Hubgate cannot inspect 7z contents, so they are unknown.",
                    path,
                )
            elif kind == "zip":
                self.zip(source, prefix, depth)
            elif kind == "tar":
                self.tar(_SourceStream(source), source, prefix, depth)
            else:
                stream = _Decompressed(_SourceStream(source), kind, self, path)
                self.tar(stream, None, prefix, depth)
        except _Abort:
            raise
        except _Stop as stop:
            self.stopped(stop, path)

    def nested(self, stream: _Stream, window: _Source | None, path: str, depth: int) -> None:
        """Scan a member if its content is an archive."""
        try:
            if window is not None:
                kind = _identify(window)
            else:
                # A streamed member is identified from its first bytes, then replayed.
                head = stream.read(BLOCK)
                if _compression(head) is not None:
                    head += stream.read(PROBE_BYTES - len(head))
                kind = _identify(_BytesSource(head), whole=False)
                stream.seek(0)
        except _Abort:
            raise
        except _Stop as stop:
            if stop.belongs_above(path):
                raise
            self.stopped(stop, path)
            return
        if kind is None:
            return
        if depth > self.limits["max_depth"]:
            self.add(
                "nesting_too_deep",
                Severity.HIGH,
                f"{path!r} is an archive nested {depth} levels deep, beyond the "
                f"{self.limits['max_depth']} levels inspected; its contents are unknown.",
                path,
                depth=depth,
            )
            return
        prefix = f"{path}!/"
        try:
            if kind == "7z":
                self.add(
                    "seven_zip",
                    Severity.HIGH,
                    f"{path!r} is a 7z archive: Hubgate cannot inspect 7z contents, so they are "
                    "unknown.",
                    path,
                )
            elif kind == "tar":
                self.tar(stream, window, prefix, depth)
            elif kind in ("gzip", "bzip2", "xz"):
                self.tar(_Decompressed(stream, kind, self, path), None, prefix, depth)
            elif window is not None:
                self.zip(window, prefix, depth)
            else:
                self.spooled_zip(stream, path, depth)
        except _Abort:
            raise
        except _Stop as stop:
            if stop.belongs_above(path):
                raise
            self.stopped(stop, path)

    def spooled_zip(self, stream: _Stream, path: str, depth: int) -> None:
        limit = int(self.limits["max_nested_bytes"])
        with tempfile.TemporaryFile() as spool:
            copied = 0
            while chunk := stream.read(CHUNK):
                copied += len(chunk)
                if copied > limit:
                    self.add(
                        "nested_too_large",
                        Severity.HIGH,
                        f"{path!r} is a compressed archive larger than the {limit} bytes a "
                        "nested archive may unpack to; its contents were not inspected.",
                        path,
                        limit=limit,
                    )
                    return
                spool.write(chunk)
            self.zip(_FileSource(spool, copied), f"{path}!/", depth)

    # -- zip

    def zip(self, source: _Source, prefix: str, depth: int) -> None:
        archive = prefix[:-2] or None
        end = _zip_end(source, exact=False)
        if end is None:
            raise _malformed("The zip has no end-of-central-directory record: it is truncated.")
        directory = _zip_directory(source, *end)
        if directory.count > self.limits["max_members"] - self.members:
            raise _Abort(
                "too_many_members",
                f"The zip declares {directory.count} members, above the "
                f"{self.limits['max_members']} limit.",
                declared=directory.count,
                limit=self.limits["max_members"],
            )
        if directory.prefix:
            self.add(
                "prepended_data",
                Severity.HIGH,
                f"{directory.prefix} bytes precede the zip archive. Such a file is also read as "
                "another format (a polyglot): torch.load, for one, unpickles it instead of "
                "reading the zip.",
                archive,
                prepended_bytes=directory.prefix,
            )
        comment = struct.unpack("<H", source.read_at(directory.end_offset + 20, 2))[0]
        trailing = source.size - (directory.end_offset + 22 + comment)
        if trailing > 0:
            self.add(
                "trailing_data",
                Severity.MEDIUM,
                f"{trailing} bytes follow the end of the zip archive; they belong to no member.",
                archive,
                trailing_bytes=trailing,
            )
        remaining = int(self.limits["max_members"]) - self.members
        entries = _zip_entries(source, directory, remaining)
        names: set[str] = set()
        spans: list[tuple[int, int]] = []
        for entry in entries:
            self.count_member()
            spans.append(self.zip_entry(source, directory, entry, prefix, depth, names))
        _check_overlaps(self, spans, archive)

    def zip_entry(
        self,
        source: _Source,
        directory: _ZipDirectory,
        entry: _ZipEntry,
        prefix: str,
        depth: int,
        names: set[str],
    ) -> tuple[int, int]:
        member = prefix + _clean(entry.name)
        self.check_name(entry.name, member, names)
        data_start, span = _zip_local_header(source, directory, entry, member, self)
        within_limits = self.count_bytes(entry.uncompressed, member)
        ratio = self.limits["max_ratio"]
        if entry.uncompressed >= RATIO_MIN_BYTES and entry.uncompressed > ratio * max(
            entry.compressed, 1
        ):
            within_limits = False
            self.add(
                "compression_ratio",
                Severity.HIGH,
                f"Member {member!r} expands from {entry.compressed} to {entry.uncompressed} "
                f"bytes, a ratio above {self.limits['max_ratio']}; a decompression bomb.",
                member,
                compressed_size=entry.compressed,
                uncompressed_size=entry.uncompressed,
            )
        if entry.encrypted:
            self.add(
                "encrypted_member",
                Severity.HIGH,
                f"Member {member!r} is encrypted; its contents cannot be scanned.",
                member,
            )
            return span
        if entry.method not in READABLE_METHODS:
            self.add(
                "unsupported_compression",
                Severity.MEDIUM,
                f"Member {member!r} uses compression method {entry.method}, which this scanner "
                "cannot read; nested archives in it were not looked for.",
                member,
                method=entry.method,
            )
            return span
        if entry.method == STORED and entry.compressed != entry.uncompressed:
            raise _malformed(
                f"Stored member {member!r} declares {entry.compressed} stored bytes but "
                f"{entry.uncompressed} unpacked bytes.",
                entry=member,
            )
        window = _Window(source, data_start, entry.compressed)
        mode = entry.mode
        if mode is not None and (stat.S_ISLNK(mode) or _is_special(mode)):
            if _is_special(mode):
                self.add(
                    "special_file",
                    Severity.HIGH,
                    f"Member {member!r} is a device, FIFO or socket ({stat.filemode(mode)}).",
                    member,
                )
            else:
                try:
                    target = _zip_stream(window, entry, self, member).read(MAX_LINK_TARGET_BYTES)
                except _Abort:
                    raise
                except _Stop as stop:
                    self.stopped(stop, member)
                    return span
                self.check_link(entry.name, target.decode("utf-8", "replace"), member, hard=False)
            return span
        if entry.name.endswith("/") or not entry.compressed or not within_limits:
            return span
        if entry.method == STORED:
            self.nested(_SourceStream(window), window, member, depth + 1)
        else:
            self.nested(_zip_stream(window, entry, self, member), None, member, depth + 1)
        return span

    # -- tar

    def tar(self, stream: _Stream, source: _Source | None, prefix: str, depth: int) -> None:
        names: set[str] = set()
        streamed = source is None
        with _open_tar(_TarGuard(stream)) as archive:
            while True:
                try:
                    info = archive.next()
                except _TAR_ERRORS as exc:
                    raise _malformed(f"The tar archive is damaged: {exc}.") from exc
                if info is None:
                    break
                archive.members.clear()  # walked once; do not keep every header in memory
                self.count_member()
                if not self.tar_member(info, stream, source, prefix, depth, names) and streamed:
                    return  # skipping a member this large means decompressing all of it
            _check_tar_end(stream, archive.offset)
            self.tar_trailing(stream, prefix[:-2] or None)

    def tar_trailing(self, stream: _Stream, archive: str | None) -> None:
        """Bytes after the end-of-archive block are members ``tar --ignore-zeros`` unpacks."""
        start = stream.tell()
        while chunk := stream.read(CHUNK):
            stripped = chunk.lstrip(b"\0")
            if stripped:
                at = stream.tell() - len(stripped)
                hidden = _tar_checksum_ok(stripped[:BLOCK]) and (at - start) % BLOCK == 0
                self.add(
                    "hidden_members" if hidden else "trailing_data",
                    Severity.HIGH if hidden else Severity.MEDIUM,
                    f"Non-zero bytes follow the tar's end-of-archive block at offset {at}"
                    + (": another archive, whose members tools that ignore end blocks unpack."
                       if hidden else "; they belong to no member."),
                    archive,
                    offset=at,
                )  # fmt: skip
                return

    def tar_member(
        self,
        info: tarfile.TarInfo,
        stream: _Stream,
        source: _Source | None,
        prefix: str,
        depth: int,
        names: set[str],
    ) -> bool:
        member = prefix + _clean(info.name)
        self.check_name(info.name, member, names)
        if info.issym() or info.islnk():
            self.check_link(info.name, info.linkname, member, hard=info.islnk())
        elif info.ischr() or info.isblk() or info.isfifo():
            self.add(
                "special_file",
                Severity.HIGH,
                f"Member {member!r} is a device or FIFO; unpacking it creates one.",
                member,
            )
        if not self.count_bytes(info.size, member):
            return False
        if not info.isreg() or info.size == 0:
            return True
        if source is not None:
            window = _Window(source, info.offset_data, info.size)
            self.nested(_SourceStream(window), window, member, depth + 1)
        else:
            stream.seek(info.offset_data)
            self.nested(_Limited(stream, info.size), None, member, depth + 1)
        return True


def _zip_local_header(
    source: _Source, directory: _ZipDirectory, entry: _ZipEntry, member: str, scan: _Scan
) -> tuple[int, tuple[int, int]]:
    """Where the member's data starts, and the bytes it occupies, after checking its header."""
    offset = directory.prefix + entry.local_offset
    header = source.read_at(offset, 30)
    if len(header) < 30 or header[:4] != ZIP_LOCAL:
        raise _malformed(
            f"Member {member!r} points at offset {entry.local_offset}, where there is no local "
            "header.",
            entry=member,
        )
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    local_name = source.read_at(offset + 30, name_len)
    if local_name != entry.raw_name:
        scan.add(
            "header_mismatch",
            Severity.HIGH,
            f"Member {member!r} is called {_clean(local_name.decode('utf-8', 'replace'))!r} in "
            "its local header: tools that read one or the other see different files.",
            member,
            local_name=_clean(local_name.decode("utf-8", "replace")),
        )
    data_start = offset + 30 + name_len + extra_len
    data_end = data_start + entry.compressed
    if data_end > directory.start:
        raise _malformed(
            f"Member {member!r} runs past the start of the central directory.", entry=member
        )
    return data_start, (offset, data_end)


def _zip_stream(window: _Source, entry: _ZipEntry, scan: _Scan, member: str) -> _Stream:
    if entry.method == STORED:
        return _SourceStream(window)
    kind = {DEFLATED: "deflate", BZIP2ED: "bzip2_zip", LZMAED: "lzma_zip"}[entry.method]
    return _Decompressed(_SourceStream(window), kind, scan, member)


def _check_overlaps(scan: _Scan, spans: list[tuple[int, int]], archive: str | None) -> None:
    spans.sort()
    overlapping = 0
    end = 0
    for start, stop in spans:
        if start < end:
            overlapping += 1
        end = max(end, stop)
    if overlapping:
        scan.add(
            "overlapping_members",
            Severity.HIGH,
            f"{overlapping} members share bytes with another member: the non-recursive zip bomb "
            "construction (every entry inflates the same data).",
            archive,
            overlapping_members=overlapping,
        )


_TAR_ERRORS = (tarfile.TarError, EOFError, UnicodeError, ValueError, OverflowError)


def _open_tar(guard: _TarGuard) -> tarfile.TarFile:
    """tarfile in its plain read mode over our stream (which did any decompression)."""
    try:
        return tarfile.open(fileobj=guard, mode="r:")  # type: ignore[call-overload]
    except _TAR_ERRORS as exc:
        raise _malformed(f"The tar archive cannot be read: {exc}.") from exc


def _check_tar_end(stream: _Stream, offset: int) -> None:
    stream.seek(offset)
    block = stream.read(BLOCK)
    if len(block) < BLOCK:
        raise _malformed(
            "The tar archive ends without an end-of-archive block: it is truncated.",
            offset=offset,
        )
    if block.strip(b"\0"):
        raise _malformed(
            f"At offset {offset} the tar archive holds neither a valid header nor the "
            "end-of-archive block; anything after it is hidden from tools that stop here.",
            offset=offset,
        )


class _TarGuard:
    """The file object tarfile reads headers through; refuses what would exhaust tarfile.

    tarfile reads each header as one 512-byte block and the body of an extended header (pax,
    GNU long name) in one read right after it; those bodies are bounded and pax bodies
    validated before tarfile parses them.
    """

    def __init__(self, stream: _Stream) -> None:
        self.stream = stream
        self._body_of: bytes | None = None
        self._extended_total = 0

    def tell(self) -> int:
        return self.stream.tell()

    def seek(self, pos: int, whence: int = 0) -> int:
        return self.stream.seek(pos, whence)

    def read(self, n: int = -1) -> bytes:
        body_of, self._body_of = self._body_of, None
        if n is None or n < 0 or n > MAX_EXTENDED_HEADER_BYTES:
            raise _malformed(
                f"A tar extended header claims {n} bytes, above the "
                f"{MAX_EXTENDED_HEADER_BYTES}-byte limit.",
                extended_header_bytes=n,
            )
        data = self.stream.read(n)
        if body_of is not None:
            self._extended_total += len(data)
            if self._extended_total > MAX_EXTENDED_HEADERS_TOTAL:
                raise _malformed("The tar archive's extended headers are too large in total.")
            if body_of in (b"x", b"g", b"X"):
                _check_pax(data)
        elif n == BLOCK and _tar_checksum_ok(data):
            kind = data[156:157]
            if kind == b"S":
                raise _Stop(
                    "unsupported_member",
                    "The tar archive holds a GNU sparse member, which this scanner does not "
                    "inspect and extractors handle differently.",
                )
            if kind in (b"x", b"g", b"X", b"L", b"K"):
                self._body_of = kind
        return data


def _check_pax(data: bytes) -> None:
    pos = 0
    while pos < len(data) and data[pos] != 0:
        match = _PAX_LENGTH.match(data, pos)
        length = int(match.group(1)) if match else 0
        end = pos + length
        if (
            match is None
            or length <= len(match.group(0)) + 1
            or end > len(data)
            or data[end - 1] != 0x0A
            or data.find(b"=", match.end(), end) <= match.end()
        ):
            raise _malformed(f"A tar pax header has a malformed record at byte {pos}.")
        if data.startswith(b"GNU.sparse.", match.end()):
            raise _Stop(
                "unsupported_member",
                "The tar archive holds a GNU sparse member, which this scanner does not inspect "
                "and extractors handle differently.",
            )
        pos = end
    if data[pos:].strip(b"\0") or _DIGIT_RUN.search(data):
        raise _malformed("A tar pax header holds data that would stall tar readers.")


# --- Names and links ------------------------------------------------------------------------


def _path_problems(name: str) -> list[tuple[str, str]]:
    problems = []
    if "\0" in name:
        problems.append(("nul_in_path", "contains a NUL byte, which truncates it in C tools"))
    if "\\" in name:
        problems.append(("backslash_in_path", "contains a backslash, a separator on Windows"))
    path = name.replace("\\", "/")
    if path.startswith("/") or _DRIVE.match(path):
        problems.append(("absolute_path", "is an absolute path"))
    if ".." in path.split("/"):
        problems.append(("path_traversal", "climbs out with '..'"))
    return problems


def _link_escapes(name: str, target: str, *, hard: bool) -> bool:
    target = target.replace("\\", "/")
    if target.startswith("/") or _DRIVE.match(target):
        return True
    base = "" if hard else posixpath.dirname(name.replace("\\", "/"))
    resolved = posixpath.normpath(posixpath.join(base, target)) if target else "."
    return resolved == ".." or resolved.startswith(("../", "/"))


def _is_special(mode: int) -> bool:
    return stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _clean(name: str) -> str:
    """A member name fit for a report: control characters and surrogates escaped, bounded."""
    cleaned = "".join(
        ch if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF else f"\\x{ord(ch):02x}"
        for ch in name[:1000]
    )
    return cleaned + ("..." if len(name) > 1000 else "")


# --- The hook -------------------------------------------------------------------------------


@hookimpl
def hubgate_scan_file(file: FileToScan) -> list[Finding] | None:
    with open(file.path, "rb") as fh:
        source = _FileSource(fh, fh.seek(0, 2))
        kind = _identify(source)
        if kind is None:
            return None
        scan = _Scan(limits=dict(_config))
        try:
            scan.archive(source, kind, None, 0)
        except _Abort as stop:
            scan.stopped(stop, None)
    return scan.result()
