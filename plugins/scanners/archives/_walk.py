"""The archives scanner's walk: every level of every archive, within the scan's limits.

The bytes are read through the shared hostile-archive reader (:mod:`plugins.scanners._archive`);
this module decides what each member's structure means for whoever unpacks it.
"""

from __future__ import annotations

import stat
import struct
import tarfile
import tempfile
from dataclasses import dataclass, field
from typing import Any

from governance.hookspecs import Finding, Severity
from plugins.scanners._archive.findings import CappedFindings
from plugins.scanners._archive.formats import (
    BLOCK,
    BZIP2ED,
    DEFLATED,
    LZMAED,
    READABLE_METHODS,
    STORED,
    TAR_ERRORS,
    ZIP_LOCAL,
    TarGuard,
    ZipDirectory,
    ZipEntry,
    check_tar_end,
    clean,
    compression,
    identify,
    is_special,
    link_escapes,
    open_tar,
    path_problems,
    tar_checksum_ok,
    zip_directory,
    zip_end,
    zip_entries,
)
from plugins.scanners._archive.streams import (
    CHUNK,
    RATIO_MIN_BYTES,
    Abort,
    BytesSource,
    Decompressed,
    FileSource,
    Limited,
    Source,
    SourceStream,
    Stop,
    Stream,
    Window,
    malformed,
)

#: What is read of a compressed member to recognise an archive in it (the gzip header with
#: its optional fields, then the first tar block, must decompress from this much).
PROBE_BYTES = 1 << 16
MAX_LINK_TARGET_BYTES = 4096


# --- The walk -------------------------------------------------------------------------------


@dataclass
class _Scan:
    limits: dict[str, int | float]
    findings: CappedFindings = field(default_factory=lambda: CappedFindings("archive"))
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
        self.findings.add(code, severity, message, member, **detail)

    def stopped(self, stop: Stop, member: str | None) -> None:
        self.add(stop.code, stop.severity, str(stop), member, **stop.detail)

    def result(self) -> list[Finding]:
        return self.findings.result()

    # -- accounting shared by every level

    def count_member(self) -> None:
        self.members += 1
        if self.members > self.limits["max_members"]:
            raise Abort(
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
            raise Abort(
                "total_size_exceeded",
                f"The archive unpacks to more than {self.limits['max_total_bytes']} bytes "
                "(nested archives included); a decompression bomb.",
                limit=self.limits["max_total_bytes"],
                member_reached=member,
            )
        return ok

    def check_name(self, name: str, member: str, seen: set[str]) -> None:
        for code, why in path_problems(name):
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
        shown = clean(target)
        if link_escapes(name, target, hard=hard):
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

    def archive(self, source: Source, kind: str, path: str | None, depth: int) -> None:
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
                self.tar(SourceStream(source), source, prefix, depth)
            else:
                stream = Decompressed(SourceStream(source), kind, self, path)
                self.tar(stream, None, prefix, depth)
        except Abort:
            raise
        except Stop as stop:
            self.stopped(stop, path)

    def nested(self, stream: Stream, window: Source | None, path: str, depth: int) -> None:
        """Scan a member if its content is an archive."""
        try:
            if window is not None:
                kind = identify(window)
            else:
                # A streamed member is identified from its first bytes, then replayed.
                head = stream.read(BLOCK)
                if compression(head) is not None:
                    head += stream.read(PROBE_BYTES - len(head))
                kind = identify(BytesSource(head), whole=False)
                stream.seek(0)
        except Abort:
            raise
        except Stop as stop:
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
                self.tar(Decompressed(stream, kind, self, path), None, prefix, depth)
            elif window is not None:
                self.zip(window, prefix, depth)
            else:
                self.spooled_zip(stream, path, depth)
        except Abort:
            raise
        except Stop as stop:
            if stop.belongs_above(path):
                raise
            self.stopped(stop, path)

    def spooled_zip(self, stream: Stream, path: str, depth: int) -> None:
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
            self.zip(FileSource(spool, copied), f"{path}!/", depth)

    # -- zip

    def zip(self, source: Source, prefix: str, depth: int) -> None:
        archive = prefix[:-2] or None
        end = zip_end(source, exact=False)
        if end is None:
            raise malformed("The zip has no end-of-central-directory record: it is truncated.")
        directory = zip_directory(source, *end)
        if directory.count > self.limits["max_members"] - self.members:
            raise Abort(
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
        entries = zip_entries(source, directory, remaining)
        names: set[str] = set()
        spans: list[tuple[int, int]] = []
        for entry in entries:
            self.count_member()
            spans.append(self.zip_entry(source, directory, entry, prefix, depth, names))
        _check_overlaps(self, spans, archive)

    def zip_entry(
        self,
        source: Source,
        directory: ZipDirectory,
        entry: ZipEntry,
        prefix: str,
        depth: int,
        names: set[str],
    ) -> tuple[int, int]:
        member = prefix + clean(entry.name)
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
            raise malformed(
                f"Stored member {member!r} declares {entry.compressed} stored bytes but "
                f"{entry.uncompressed} unpacked bytes.",
                entry=member,
            )
        window = Window(source, data_start, entry.compressed)
        mode = entry.mode
        if mode is not None and (stat.S_ISLNK(mode) or is_special(mode)):
            if is_special(mode):
                self.add(
                    "special_file",
                    Severity.HIGH,
                    f"Member {member!r} is a device, FIFO or socket ({stat.filemode(mode)}).",
                    member,
                )
            else:
                try:
                    target = _zip_stream(window, entry, self, member).read(MAX_LINK_TARGET_BYTES)
                except Abort:
                    raise
                except Stop as stop:
                    self.stopped(stop, member)
                    return span
                self.check_link(entry.name, target.decode("utf-8", "replace"), member, hard=False)
            return span
        if entry.name.endswith("/") or not entry.compressed or not within_limits:
            return span
        if entry.method == STORED:
            self.nested(SourceStream(window), window, member, depth + 1)
        else:
            self.nested(_zip_stream(window, entry, self, member), None, member, depth + 1)
        return span

    # -- tar

    def tar(self, stream: Stream, source: Source | None, prefix: str, depth: int) -> None:
        names: set[str] = set()
        streamed = source is None
        with open_tar(TarGuard(stream)) as archive:
            while True:
                try:
                    info = archive.next()
                except TAR_ERRORS as exc:
                    raise malformed(f"The tar archive is damaged: {exc}.") from exc
                if info is None:
                    break
                archive.members.clear()  # walked once; do not keep every header in memory
                self.count_member()
                if not self.tar_member(info, stream, source, prefix, depth, names) and streamed:
                    return  # skipping a member this large means decompressing all of it
            check_tar_end(stream, archive.offset)
            self.tar_trailing(stream, prefix[:-2] or None)

    def tar_trailing(self, stream: Stream, archive: str | None) -> None:
        """Bytes after the end-of-archive block are members ``tar --ignore-zeros`` unpacks."""
        start = stream.tell()
        while chunk := stream.read(CHUNK):
            stripped = chunk.lstrip(b"\0")
            if stripped:
                at = stream.tell() - len(stripped)
                hidden = tar_checksum_ok(stripped[:BLOCK]) and (at - start) % BLOCK == 0
                self.add(
                    "hidden_members" if hidden else "trailing_data",
                    Severity.HIGH if hidden else Severity.MEDIUM,
                    f"Non-zero bytes follow the tar's end-of-archive block at offset {at}"
                    + (
                        ": another archive, whose members tools that ignore end blocks unpack."
                        if hidden
                        else "; they belong to no member."
                    ),
                    archive,
                    offset=at,
                )
                return

    def tar_member(
        self,
        info: tarfile.TarInfo,
        stream: Stream,
        source: Source | None,
        prefix: str,
        depth: int,
        names: set[str],
    ) -> bool:
        member = prefix + clean(info.name)
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
            window = Window(source, info.offset_data, info.size)
            self.nested(SourceStream(window), window, member, depth + 1)
        else:
            stream.seek(info.offset_data)
            self.nested(Limited(stream, info.size), None, member, depth + 1)
        return True


def _zip_local_header(
    source: Source, directory: ZipDirectory, entry: ZipEntry, member: str, scan: _Scan
) -> tuple[int, tuple[int, int]]:
    """Where the member's data starts, and the bytes it occupies, after checking its header."""
    offset = directory.prefix + entry.local_offset
    header = source.read_at(offset, 30)
    if len(header) < 30 or header[:4] != ZIP_LOCAL:
        raise malformed(
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
            f"Member {member!r} is called {clean(local_name.decode('utf-8', 'replace'))!r} in "
            "its local header: tools that read one or the other see different files.",
            member,
            local_name=clean(local_name.decode("utf-8", "replace")),
        )
    data_start = offset + 30 + name_len + extra_len
    data_end = data_start + entry.compressed
    if data_end > directory.start:
        raise malformed(
            f"Member {member!r} runs past the start of the central directory.", entry=member
        )
    return data_start, (offset, data_end)


def _zip_stream(window: Source, entry: ZipEntry, scan: _Scan, member: str) -> Stream:
    if entry.method == STORED:
        return SourceStream(window)
    kind = {DEFLATED: "deflate", BZIP2ED: "bzip2_zip", LZMAED: "lzma_zip"}[entry.method]
    return Decompressed(SourceStream(window), kind, scan, member)


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
