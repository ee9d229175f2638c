"""Recognising archives by content, and reading zip and tar structures without trusting them.

Zip: the end record (exactly at the end of the file, or anywhere in its tail), the central
directory and its entries (zip64 included), bounded in count and name bytes. Tar: ``tarfile``
in its plain read mode over a :class:`TarGuard` that refuses oversized or malformed extended
headers and GNU sparse members. Names and links: what makes a member path unsafe to extract.
"""

from __future__ import annotations

import posixpath
import re
import stat
import struct
import tarfile
from dataclasses import dataclass

from plugins.scanners._archive.streams import (
    Abort,
    Decompressed,
    MiB,
    Source,
    SourceStream,
    Stop,
    Stream,
    Window,
    malformed,
)

BLOCK = tarfile.BLOCKSIZE
#: Member names are kept for the duplicate check; more than this in total is refused.
MAX_NAME_BYTES_TOTAL = 64 * MiB
#: One pax header or GNU long name, and all of them in one archive.
MAX_EXTENDED_HEADER_BYTES = 1 * MiB
MAX_EXTENDED_HEADERS_TOTAL = 64 * MiB
#: Python 3.11's tarfile searches pax headers with ``\d+`` patterns that backtrack
#: quadratically over long runs of digits (CVE-2024-6232).
MAX_PAX_DIGIT_RUN = 64

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


# --- Recognising archives -------------------------------------------------------------------


def tar_checksum_ok(block: bytes) -> bool:
    if len(block) < BLOCK:
        return False
    field_ = block[148:156].replace(b"\0", b" ").strip()
    if not field_ or not all(48 <= c <= 55 for c in field_):
        return False
    expected = int(field_, 8)
    unsigned = sum(block[:148]) + 8 * 32 + sum(block[156:BLOCK])
    signed = unsigned - 2 * sum(c for c in block[:148] + block[156:BLOCK] if c > 127)
    return expected in (unsigned, signed)


def compression(head: bytes) -> str | None:
    if head.startswith(GZIP):
        return "gzip"
    if head.startswith(XZ):
        return "xz"
    if _BZIP2.match(head):
        return "bzip2"
    return None


def is_compressed_tar(source: Source, kind: str) -> bool:
    """Whether the stream decompresses to a block that is a tar header."""
    try:
        head = Decompressed(SourceStream(source), kind, None, None).read(BLOCK)
    except Stop:
        return False
    return tar_checksum_ok(head)


def identify(source: Source, *, whole: bool = True) -> str | None:
    """What kind of archive the bytes are, or None; ``whole`` is False for a prefix only."""
    head = source.read_at(0, BLOCK)
    if head.startswith(SEVEN_ZIP):
        return "7z"
    if head.startswith((ZIP_LOCAL, ZIP_END)):
        return "zip"
    if tar_checksum_ok(head):
        return "tar"
    kind = compression(head)
    if kind is not None and is_compressed_tar(source, kind):
        return kind
    if not whole:
        return None
    end = zip_end(source, exact=True)
    if end is not None:
        try:
            directory = zip_directory(source, *end)
        except Stop:
            return None
        first = source.read_at(directory.start, 4)
        if first == ZIP_CENTRAL or (directory.count == 0 and directory.size == 0):
            return "zip"
    return None


# --- Zip structures -------------------------------------------------------------------------


@dataclass(frozen=True)
class ZipDirectory:
    start: int
    size: int
    count: int
    prefix: int
    end_offset: int


@dataclass
class ZipEntry:
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


def zip_end(source: Source, *, exact: bool) -> tuple[int, bytes] | None:
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


def zip_directory(source: Source, end_offset: int, end: bytes) -> ZipDirectory:
    disk, cd_disk, on_disk, count, size, offset = struct.unpack("<HHHHII", end[4:20])
    record = end_offset
    locator = source.read_at(end_offset - 20, 20) if end_offset >= 20 else b""
    if locator[:4] == ZIP64_LOCATOR:
        (disks,) = struct.unpack("<I", locator[16:20])
        record = end_offset - 20 - 56
        zip64 = source.read_at(record, 56) if record >= 0 else b""
        if len(zip64) < 56 or zip64[:4] != ZIP64_END:
            raise malformed("The zip64 end-of-central-directory record is missing or damaged.")
        disk, cd_disk, on_disk, count, size, offset = struct.unpack("<IIQQQQ", zip64[16:56])
        if disks > 1:
            disk = disks
    if disk or cd_disk or on_disk != count:
        raise malformed("The zip archive is split across several disks; it cannot be read.")
    start = record - size
    prefix = start - offset
    if start < 0 or prefix < 0:
        raise malformed(
            "The zip's central directory lies outside the file.",
            central_directory_offset=offset,
            central_directory_size=size,
        )
    return ZipDirectory(start, size, count, prefix, end_offset)


def zip64_values(entry: ZipEntry, extra: bytes) -> None:
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
    raise malformed(f"Member {clean(entry.name)!r} lacks the zip64 sizes its header promises.")


def zip_entries(source: Source, directory: ZipDirectory, limit: int) -> list[ZipEntry]:
    entries: list[ZipEntry] = []
    name_bytes = 0
    view = SourceStream(Window(source, directory.start, directory.size))
    while view.tell() < directory.size:
        if len(entries) >= limit:
            raise Abort(
                "too_many_members",
                f"The archive holds more than {limit} members (the limit for the whole file).",
                limit=limit,
            )
        header = view.read(46)
        if len(header) < 46 or header[:4] != ZIP_CENTRAL:
            raise malformed(
                f"Central directory entry {len(entries)} is damaged.", entry=len(entries)
            )
        (
            made_by,
            _,
            flags,
            method,
            _,
            _,
            _,
            compressed,
            uncompressed,
            name_len,
            extra_len,
            comment_len,
            _,
            _,
            external,
            local,
        ) = struct.unpack("<HHHHHHIIIHHHHHII", header[4:46])
        name_bytes += name_len
        if name_bytes > MAX_NAME_BYTES_TOTAL:
            raise malformed(
                f"The member names add up to more than {MAX_NAME_BYTES_TOTAL} bytes.",
            )
        raw_name = view.read(name_len)
        extra = view.read(extra_len)
        view.seek(comment_len, 1)
        if len(raw_name) < name_len or len(extra) < extra_len or view.tell() > directory.size:
            raise malformed("The central directory is truncated.")
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
        entry = ZipEntry(
            name, raw_name, flags, method, compressed, uncompressed, local, made_by, external
        )
        zip64_values(entry, extra)
        entries.append(entry)
    if len(entries) != directory.count:
        raise malformed(
            f"The end record counts {directory.count} members but the central directory holds "
            f"{len(entries)}; tools disagree on what is in this archive.",
            declared=directory.count,
            found=len(entries),
        )
    return entries


TAR_ERRORS = (tarfile.TarError, EOFError, UnicodeError, ValueError, OverflowError)


def open_tar(guard: TarGuard) -> tarfile.TarFile:
    """tarfile in its plain read mode over our stream (which did any decompression)."""
    try:
        return tarfile.open(fileobj=guard, mode="r:")  # type: ignore[call-overload]
    except TAR_ERRORS as exc:
        raise malformed(f"The tar archive cannot be read: {exc}.") from exc


def check_tar_end(stream: Stream, offset: int) -> None:
    stream.seek(offset)
    block = stream.read(BLOCK)
    if len(block) < BLOCK:
        raise malformed(
            "The tar archive ends without an end-of-archive block: it is truncated.",
            offset=offset,
        )
    if block.strip(b"\0"):
        raise malformed(
            f"At offset {offset} the tar archive holds neither a valid header nor the "
            "end-of-archive block; anything after it is hidden from tools that stop here.",
            offset=offset,
        )


class TarGuard:
    """The file object tarfile reads headers through; refuses what would exhaust tarfile.

    tarfile reads each header as one 512-byte block and the body of an extended header (pax,
    GNU long name) in one read right after it; those bodies are bounded and pax bodies
    validated before tarfile parses them.
    """

    def __init__(self, stream: Stream) -> None:
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
            raise malformed(
                f"A tar extended header claims {n} bytes, above the "
                f"{MAX_EXTENDED_HEADER_BYTES}-byte limit.",
                extended_header_bytes=n,
            )
        data = self.stream.read(n)
        if body_of is not None:
            self._extended_total += len(data)
            if self._extended_total > MAX_EXTENDED_HEADERS_TOTAL:
                raise malformed("The tar archive's extended headers are too large in total.")
            if body_of in (b"x", b"g", b"X"):
                check_pax(data)
        elif n == BLOCK and tar_checksum_ok(data):
            kind = data[156:157]
            if kind == b"S":
                raise Stop(
                    "unsupported_member",
                    "The tar archive holds a GNU sparse member, which this scanner does not "
                    "inspect and extractors handle differently.",
                )
            if kind in (b"x", b"g", b"X", b"L", b"K"):
                self._body_of = kind
        return data


def check_pax(data: bytes) -> None:
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
            raise malformed(f"A tar pax header has a malformed record at byte {pos}.")
        if data.startswith(b"GNU.sparse.", match.end()):
            raise Stop(
                "unsupported_member",
                "The tar archive holds a GNU sparse member, which this scanner does not inspect "
                "and extractors handle differently.",
            )
        pos = end
    if data[pos:].strip(b"\0") or _DIGIT_RUN.search(data):
        raise malformed("A tar pax header holds data that would stall tar readers.")


# --- Names and links ------------------------------------------------------------------------


def path_problems(name: str) -> list[tuple[str, str]]:
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


def link_escapes(name: str, target: str, *, hard: bool) -> bool:
    target = target.replace("\\", "/")
    if target.startswith("/") or _DRIVE.match(target):
        return True
    base = "" if hard else posixpath.dirname(name.replace("\\", "/"))
    resolved = posixpath.normpath(posixpath.join(base, target)) if target else "."
    return resolved == ".." or resolved.startswith(("../", "/"))


def is_special(mode: int) -> bool:
    return stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def clean(name: str) -> str:
    """A member name fit for a report: control characters and surrogates escaped, bounded."""
    cleaned = "".join(
        ch if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF else f"\\x{ord(ch):02x}"
        for ch in name[:1000]
    )
    return cleaned + ("..." if len(name) > 1000 else "")


# --- The hook -------------------------------------------------------------------------------
