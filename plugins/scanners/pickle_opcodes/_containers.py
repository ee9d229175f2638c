"""Where pickles live: zip, tar, gzip/bz2/xz, .npy, the legacy torch formats; one scan."""

from __future__ import annotations

import ast
import struct
import tarfile
import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, BinaryIO

from governance.hookspecs import Finding, Severity
from plugins.scanners._archive.formats import (
    TarGuard,
    ZipEntry,
    zip_directory,
    zip_end,
    zip_entries,
)
from plugins.scanners._archive.streams import FileSource, SourceStream, Stop, malformed
from plugins.scanners.pickle_opcodes._opcodes import _Stream, _Unresolved, _walk
from plugins.scanners.pickle_opcodes._reader import (
    _CHUNK,
    _HEAD,
    _LOCAL_HEADER,
    _MAX_NPY_HEADER,
    _SPOOL_IN_MEMORY,
    _ZIP_METHODS,
    _Budget,
    _CorruptError,
    _Inflater,
    _Reader,
    _ScanLimitError,
    _TruncatedError,
    _Window,
)
from plugins.scanners.pickle_opcodes._rules import (
    _PICKLESCAN_RULES,
    _STORAGE_ELEMENT_SIZE,
    DANGEROUS_GLOBALS,
    _match_rule,
    _Policy,
)

# --- Containers --------------------------------------------------------------------------------


def _looks_like_tar(head: bytes) -> bool:
    if len(head) < 512 or head[0] == 0:
        return False
    if head[257:262] == b"ustar":
        return True
    try:
        stored = int(head[148:156].replace(b"\0", b" ").strip() or b"-1", 8)
    except ValueError:
        return False
    unsigned = sum(head[:148]) + 8 * 32 + sum(head[156:512])
    return stored == unsigned


def _container_kind(head: bytes) -> str | None:
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "zip"
    if head[:6] == b"\x93NUMPY":
        return "npy"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:3] == b"BZh" and head[3:4].isdigit():
        return "bz2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[:6] == b"7z\xbc\xaf\x27\x1c":
        return "7z"
    if _looks_like_tar(head):
        return "tar"
    return None


def _join(label: str | None, name: str) -> str:
    return name if label is None else f"{label}!{name}"


@dataclass(eq=False)
class _GlobalReport:
    module: str
    name: str
    offset: int
    stream: int
    opcode: str
    opcodes: set[str] = field(default_factory=set)
    calls: set[str] = field(default_factory=set)
    mutations: set[str] = field(default_factory=set)
    count: int = 0


class _Scan:
    """One file's scan: what was found, member by member, and the bounds still left."""

    def __init__(self, config: Mapping[str, Any], policy: _Policy) -> None:
        self.config = config
        self.policy = policy
        self.budget = _Budget(config["max_total_bytes"])
        self.members = 0
        self.found_pickle = False
        self.globals: dict[tuple[str | None, str, str], _GlobalReport] = {}
        self.findings: dict[tuple[Any, ...], Finding] = {}

    @property
    def stopped(self) -> bool:
        return self.budget.exhausted

    def add(
        self,
        key: tuple[Any, ...],
        code: str,
        severity: Severity,
        message: str,
        member: str | None,
        **detail: Any,
    ) -> None:
        if (code, member, *key) not in self.findings:
            self.findings[(code, member, *key)] = Finding(
                code=f"pickle.{code}",
                severity=severity,
                message=message,
                member=member,
                detail=detail,
            )

    def limit(self, member: str | None, limit: str, message: str) -> None:
        self.add(
            (limit,),
            "scan_limit",
            Severity.HIGH,
            f"Could not be fully scanned: {message} ({limit}). What lies beyond was not examined.",
            member,
            limit=limit,
        )

    # Pickle streams ---------------------------------------------------------------------------

    def pickles(self, reader: _Reader, label: str | None, *, quiet: bool = False) -> bool:
        """Walk back-to-back pickles until the data stops looking like one."""
        found = False
        index = 0
        try:
            while not self.stopped and not reader.at_eof():
                stream = self.walk(reader)
                if not stream.detected:
                    break
                self.record(label, stream, index)
                found = True
                index += 1
                if not stream.stopped:
                    break
        except _ScanLimitError as exc:
            self.limit(label, exc.limit, str(exc))
        except _CorruptError as exc:
            if not quiet:
                self.unreadable(label, f"the compressed data is corrupt: {exc}")
        return found

    def walk(self, reader: _Reader) -> _Stream:
        return _walk(
            reader,
            max_stream_bytes=self.config["max_stream_bytes"],
            max_opcodes=self.config["max_opcodes"],
        )

    def record(self, label: str | None, stream: _Stream, index: int) -> None:
        self.found_pickle = True
        for use in stream.globals.values():
            report = self.globals.get((label, use.module, use.name))
            if report is None:
                report = self.globals[(label, use.module, use.name)] = _GlobalReport(
                    use.module, use.name, use.offset, index, use.opcode
                )
            report.opcodes.add(use.opcode)
            report.calls |= use.calls
            report.mutations |= use.mutations
            report.count += use.count
        for entry in stream.unresolved:
            self.unresolved(label, entry, index)
        for code, offset in stream.extensions.items():
            self.add(
                (code,),
                "extension_registry",
                Severity.HIGH,
                f"EXT opcode with extension code {code}: the object comes from the copyreg "
                "extension registry of whoever unpickles it and cannot be resolved here.",
                label,
                extension_code=code,
                offset=offset,
                stream=index,
            )
        for what, (offset, opcodes) in stream.indirect_calls.items():
            self.add(
                (what,),
                "indirect_call",
                Severity.HIGH,
                f"{what[0].upper()}{what[1:]} is called ({', '.join(sorted(opcodes))}): the "
                "callable is computed while unpickling, not named by a global.",
                label,
                callee=what,
                opcodes=sorted(opcodes),
                offset=offset,
                stream=index,
            )
        for protocol in sorted(p for p in stream.protocols if p > 5):
            self.add(
                (protocol,),
                "unsupported_protocol",
                Severity.HIGH,
                f"The PROTO opcode claims protocol {protocol}; no Python pickles above 5. The "
                "stream was crafted or damaged.",
                label,
                protocol=protocol,
                offset=stream.start,
                stream=index,
            )
        if stream.error is not None and not stream.stopped:
            self.add(
                ("parse",),
                "parse_error",
                Severity.HIGH,
                f"The pickle stream breaks at byte {stream.error_offset}: {stream.error}. What "
                "it imports before the break is reported; an unpickler runs it before failing.",
                label,
                offset=stream.error_offset,
                error=stream.error,
                stream=index,
            )
        if stream.stack_error is not None:
            offset, message = stream.stack_error
            self.add(
                ("stack",),
                "parse_error",
                Severity.HIGH,
                f"The pickle stream is malformed at byte {offset}: {message}. The walk went on "
                "and reports what follows too.",
                label,
                offset=offset,
                error=message,
                stream=index,
            )
        if stream.limit is not None:
            self.limit(label, *stream.limit)

    def unresolved(self, label: str | None, entry: _Unresolved, index: int) -> None:
        severity = Severity.HIGH
        if entry.module is not None:
            # A rule on the module itself (or a parent) covers whatever name it turns out to be.
            for rules in (DANGEROUS_GLOBALS, _PICKLESCAN_RULES):
                hit = _match_rule(entry.module, rules)
                if hit is not None and hit[1][0].rank > severity.rank:
                    severity = hit[1][0]
        self.add(
            (entry.why, entry.module, entry.name),
            "unresolvable_global",
            severity,
            f"A global cannot be resolved without running the pickle ({entry.why}); "
            "unpickling imports whatever it turns out to be.",
            label,
            module=entry.module,
            name=entry.name,
            reason=entry.why,
            offset=entry.offset,
            stream=index,
            called_by=sorted(entry.calls),
        )

    def unreadable(self, label: str | None, message: str, severity: Severity = Severity.HIGH):
        self.add(
            (message,),
            "unreadable_archive",
            severity,
            f"Could not be fully scanned: {message}.",
            label,
            error=message,
        )

    # Dispatch ---------------------------------------------------------------------------------

    def blob(self, fh: BinaryIO, size: int, label: str | None, depth: int) -> None:
        """A seekable file or spooled member: pickles from its first byte, then its container."""
        reader = _Reader(_Window(fh, 0, size), self.budget, size=size)
        try:
            head = reader.peek(_HEAD)
        except _ScanLimitError as exc:
            self.limit(label, exc.limit, str(exc))
            return
        kind = _container_kind(head)
        if kind != "npy":
            self.pickles(reader, label)
        if self.stopped:
            return
        if kind == "zip" or (kind is None and zip_end(FileSource(fh, size), exact=False)):
            self.zip(fh, size, label, depth, prefixed=kind is None)
        elif kind == "tar":
            self.tar(fh, size, label, depth)
        elif kind is not None:
            self.member(_Reader(_Window(fh, 0, size), self.budget, size=size), label, depth)

    def member(self, reader: _Reader, label: str | None, depth: int, *, quiet=False) -> None:
        """A stream that may not seek: an archive member or decompressed data.

        ``quiet`` drops complaints about corrupt data, which encrypted data is expected to be.
        """
        try:
            kind = _container_kind(reader.peek(_HEAD))
            if kind in ("zip", "tar"):
                self.nested(reader, label, depth)
            elif kind in ("gzip", "bz2", "xz"):
                if depth + 1 > self.config["max_depth"]:
                    self.limit(label, "max_depth", f"{kind} data nested too deep")
                    return
                self.member(_Reader(_Inflater(reader, kind), self.budget), label, depth + 1)
            elif kind == "7z":
                self.unreadable(label, "7z archives are not opened", Severity.MEDIUM)
            elif kind == "npy":
                self.npy(reader, label)
            else:
                self.pickles(reader, label, quiet=quiet)
        except _ScanLimitError as exc:
            self.limit(label, exc.limit, str(exc))
        except _CorruptError as exc:
            if not quiet:
                self.unreadable(label, f"the compressed data is corrupt: {exc}")

    def nested(self, reader: _Reader, label: str | None, depth: int) -> None:
        if depth + 1 > self.config["max_depth"]:
            self.limit(label, "max_depth", f"archives nested more than {depth} deep")
            return
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
            while chunk := reader.read_some(_CHUNK * 16):
                spool.write(chunk)
            size = spool.tell()
            self.blob(spool, size, label, depth + 1)

    def zip(self, fh: BinaryIO, size: int, label: str | None, depth: int, *, prefixed: bool):
        # The members are those of the shared hostile-archive reader, so this scanner and the
        # archives scanner see the same members of the same archive.
        source = FileSource(fh, size)
        try:
            end = zip_end(source, exact=False)
            if end is None:
                raise malformed("there is no end-of-central-directory record")
            zip_dir = zip_directory(source, *end)
            max_cd = max(1024 * 1024, self.config["max_members"] * 1024)
            if zip_dir.size > max_cd:
                self.limit(label, "max_members", f"a {zip_dir.size}-byte zip central directory")
                return
            entries = zip_entries(source, zip_dir, limit=zip_dir.size // 46 + 1)
        except Stop as exc:
            if not prefixed:
                self.unreadable(label, f"the zip archive cannot be read: {exc}")
            return
        counts = Counter(entry.name for entry in entries)
        for name, count in counts.items():
            if count > 1:
                self.add(
                    (name,),
                    "duplicate_member",
                    Severity.HIGH,
                    f"The zip archive has {count} members named {name!r}; loaders disagree "
                    "on which one they read. Every copy was scanned.",
                    _join(label, name),
                    copies=count,
                )
        for entry in entries:
            if self.stopped:
                return
            if entry.name.endswith("/"):
                continue
            self.members += 1
            if self.members > self.config["max_members"]:
                self.limit(label, "max_members", "too many archive members")
                return
            self.zip_member(fh, size, zip_dir.prefix, entry, _join(label, entry.name), depth)

    def zip_member(
        self, fh: BinaryIO, size: int, prefix: int, entry: ZipEntry, label: str, depth: int
    ) -> None:
        encrypted = bool(entry.flags & 0x1)
        header_offset = prefix + entry.local_offset
        if encrypted:
            # Lenient readers (picklescan's, for one) ignore the flag and read the bytes as they
            # are: so does this scan, quietly, in case the "encrypted" data is plain.
            self.add(
                (),
                "encrypted_member",
                Severity.HIGH,
                "The member is encrypted: it cannot be scanned and may hide a pickle.",
                label,
            )
        method = _ZIP_METHODS.get(entry.method)
        if method is None:
            self.add(
                (),
                "unsupported_compression",
                Severity.HIGH,
                f"The member uses compression method {entry.method}, which cannot be "
                "decompressed here: it was not scanned.",
                label,
                compress_type=entry.method,
            )
            return
        if not 0 <= header_offset < size:
            self.unreadable(label, "the member's local header lies outside the file")
            return
        fh.seek(header_offset)
        header = fh.read(_LOCAL_HEADER.size)
        if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
            self.unreadable(label, "the member's local header is missing")
            return
        fields = _LOCAL_HEADER.unpack(header)
        flags, name_length, extra_length = fields[2], fields[9], fields[10]
        raw_name = fh.read(name_length)
        local_name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", "replace")
        if local_name != entry.name:
            self.add(
                (),
                "zip_name_mismatch",
                Severity.HIGH,
                f"The member is named {entry.name!r} in the central directory but "
                f"{local_name!r} in its local header; tools that read one or the other see "
                "different files. Its data was scanned.",
                label,
                central_name=entry.name,
                local_name=local_name,
            )
        start = header_offset + _LOCAL_HEADER.size + name_length + extra_length
        length = min(entry.compressed, max(0, size - start))
        window = _Window(fh, start, length)
        try:
            if method == "stored":
                reader = _Reader(window, self.budget, size=length)
            else:
                reader = _Reader(_Inflater(window, method), self.budget)
        except _CorruptError as exc:
            if not encrypted:
                self.unreadable(label, f"the compressed data is corrupt: {exc}")
            return
        self.member(reader, label, depth, quiet=encrypted)

    def tar(self, fh: BinaryIO, size: int, label: str | None, depth: int) -> None:
        # tarfile parses the headers through the shared reader's guard, which bounds and
        # validates extended headers (pax, GNU long names) before tarfile's regexes see them.
        guard = TarGuard(SourceStream(FileSource(fh, size)))
        try:
            archive = tarfile.open(fileobj=guard, mode="r:")  # noqa: SIM115
        except Exception as exc:  # tarfile raises many types on hostile input
            self.unreadable(label, f"the tar archive cannot be read: {exc}")
            return
        names: Counter[str] = Counter()
        with archive:
            while not self.stopped:
                try:
                    info = archive.next()
                except Exception as exc:  # a damaged header ends what can be read
                    self.unreadable(label, f"the tar archive is damaged: {exc}")
                    break
                if info is None:
                    break
                self.members += 1
                if self.members > self.config["max_members"]:
                    self.limit(label, "max_members", "too many archive members")
                    break
                names[info.name] += 1
                if not info.isreg():
                    continue
                member_label = _join(label, info.name)
                # A regular member's bytes, read in place (what extractfile would read); the
                # guard only lets tarfile read headers.
                length = max(0, min(info.size, size - info.offset_data))
                reader = _Reader(_Window(fh, info.offset_data, length), self.budget, size=length)
                if PurePosixPath(info.name).name in ("storages", "tensors"):
                    self.torch_legacy(reader, member_label, PurePosixPath(info.name).name)
                else:
                    self.member(reader, member_label, depth)
                if length < info.size:
                    # What is there was scanned; an unpickler would read the same bytes.
                    self.unreadable(member_label, "the tar member runs past the end of the file")
                    break
        for name, count in names.items():
            if count > 1:
                self.add(
                    (name,),
                    "duplicate_member",
                    Severity.HIGH,
                    f"The tar archive has {count} members named {name!r}; loaders read the "
                    "last one. Every copy was scanned.",
                    _join(label, name),
                    copies=count,
                )

    def torch_legacy(self, reader: _Reader, label: str, kind: str) -> None:
        """torch's legacy tar: pickled headers between raw tensor data, followed as torch does."""
        try:
            self._torch_legacy(reader, label, kind)
        except (_TruncatedError, struct.error):
            return  # torch stops here too, before anything else is unpickled
        except _ScanLimitError as exc:
            self.limit(label, exc.limit, str(exc))
        except _CorruptError as exc:
            self.unreadable(label, f"the data is corrupt: {exc}")

    def _torch_legacy(self, reader: _Reader, label: str, kind: str) -> None:
        index = 0

        def next_pickle() -> _Stream | None:
            nonlocal index
            stream = self.walk(reader)
            if stream.detected:
                self.record(label, stream, index)
            index += 1
            return stream if stream.stopped and not stream.limit else None

        first = next_pickle()
        if first is None or first.value is None:
            return
        count = first.value
        if count > self.config["max_members"]:
            self.limit(label, "max_members", f"{count} entries announced")
        for _ in range(max(0, min(count, self.config["max_members"]))):
            header = next_pickle()
            if header is None or self.stopped:
                return
            if kind == "tensors":
                (ndim,) = struct.unpack("<i", reader.take(4))
                if not 0 <= ndim <= 64:
                    return
                reader.skip(4 + 16 * ndim + 8)
                continue
            sizes = [
                _STORAGE_ELEMENT_SIZE[use.name]
                for use in header.globals.values()
                if use.module == "torch" and use.name in _STORAGE_ELEMENT_SIZE
            ]
            if len(sizes) != 1:
                self.limit(
                    label,
                    "storage_layout",
                    "a storage header does not name exactly one known storage type, so the "
                    "rest of the member cannot be followed",
                )
                return
            (numel,) = struct.unpack("<q", reader.take(8))
            if numel < 0:
                return
            reader.skip(numel * sizes[0])
        if kind == "storages" and count <= self.config["max_members"]:
            next_pickle()  # the storage views

    def npy(self, reader: _Reader, label: str | None) -> None:
        try:
            head = reader.take(8)
            major = head[6]
            if major == 1:
                (length,) = struct.unpack("<H", reader.take(2))
            elif major in (2, 3):
                (length,) = struct.unpack("<I", reader.take(4))
            else:
                return  # numpy refuses other versions
            if length > _MAX_NPY_HEADER:
                self.limit(label, "npy_header", f"a {length}-byte .npy header")
                return
            header = reader.take(length)
        except _TruncatedError:
            return
        if _npy_has_objects(header, major):
            self.pickles(reader, label)


def _npy_has_objects(header: bytes, major: int) -> bool:
    """Whether an .npy header describes Python objects, which numpy stores as a pickle.

    A header that cannot be read is treated as if it did: the pickle walk then decides.
    """
    text = header.decode("utf-8" if major >= 3 else "latin-1", "replace")
    try:
        meta = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return True
    if not isinstance(meta, dict) or "descr" not in meta:
        return True
    return _descr_has_objects(meta["descr"], 0)


def _descr_has_objects(descr: Any, depth: int) -> bool:
    if depth > 32:
        return True
    if isinstance(descr, str):
        return descr.lstrip("<>|=").startswith("O")
    if isinstance(descr, list):
        return any(
            not isinstance(item, tuple) or len(item) < 2 or _descr_has_objects(item[1], depth + 1)
            for item in descr
        )
    if isinstance(descr, tuple) and descr:
        return _descr_has_objects(descr[0], depth + 1)
    return True
