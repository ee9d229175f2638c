"""Finds ONNX tensors whose data lives outside the model file, and custom operator domains.

An ONNX model is a protobuf ``ModelProto``. A tensor may keep its bytes in another file named
by ``external_data`` (``location``, ``offset``, ``length``); the ONNX runtime and ``onnx.load``
open that path relative to the model's directory. A location that is absolute, climbs out
with ``..`` or names a device (``/dev/zero``, ``/proc/self/environ``) makes loading the model
read any file the server can (CVE-2022-25882 class) or hang on an endless device. Nodes whose
domain is not one of ONNX's own need a native library of custom operators to run.

The file is read with a minimal protobuf wire-format reader written here (no ``onnx`` or
``protobuf`` import): varints of at most 10 bytes, fixed 32/64-bit values, length-delimited
fields that must fit in their parent, and no groups or undefined wire types. Only the messages
on the path to tensors and nodes are descended into, with bounded nesting and a bounded number
of fields; everything else is skipped by its length. A file is taken for ONNX only when its top
level parses as a ``ModelProto`` with an ``ir_version`` and a ``graph``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from governance.hookspecs import FileToScan, Finding, Severity, hookimpl

NAME = "onnx_external_data"
STANDARD_DOMAINS = frozenset(
    {"", "ai.onnx", "ai.onnx.ml", "com.microsoft", "ai.onnx.preview.training"}
)
#: Subgraphs (If/Loop/Scan bodies, functions, training graphs) nested deeper than this are
#: refused; real models nest a handful of levels.
MAX_GRAPH_DEPTH = 32
#: Fields visited in the messages we descend into; beyond it the scan gives up (a tensor
#: written with millions of unpacked floats would otherwise take minutes).
MAX_FIELDS = 10_000_000
MAX_STRING_BYTES = 4096
MAX_FINDINGS_PER_CODE = 20
#: Distinct external locations and custom domains remembered for the report.
MAX_TRACKED = 1000

VARINT, FIXED64, LENGTH, START_GROUP, END_GROUP, FIXED32 = 0, 1, 2, 3, 4, 5

# Field numbers from onnx.proto3.
MODEL_FIELDS = frozenset({2, 3, 4, 5, 6, 7, 8, 14, 20, 25})
MAX_IR_VERSION = 32
MODEL_IR_VERSION, MODEL_GRAPH, MODEL_TRAINING_INFO, MODEL_FUNCTIONS = 1, 7, 20, 25
TRAINING_INITIALIZATION, TRAINING_ALGORITHM = 1, 2
FUNCTION_NODE, FUNCTION_DOMAIN = 7, 10
GRAPH_NODE, GRAPH_INITIALIZER, GRAPH_SPARSE_INITIALIZER = 1, 5, 15
NODE_OP_TYPE, NODE_ATTRIBUTE, NODE_DOMAIN = 4, 5, 7
ATTR_T, ATTR_G, ATTR_TENSORS, ATTR_GRAPHS, ATTR_SPARSE, ATTR_SPARSES = 5, 6, 10, 11, 22, 23
SPARSE_VALUES, SPARSE_INDICES = 1, 2
TENSOR_NAME, TENSOR_EXTERNAL_DATA, TENSOR_DATA_LOCATION = 8, 13, 14
ENTRY_KEY, ENTRY_VALUE = 1, 2
DATA_LOCATION_EXTERNAL = 1

_DRIVE = re.compile(r"^[A-Za-z]:")
_DIGITS = re.compile(r"[0-9]{1,20}")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_DEVICE_PREFIXES = ("/dev/", "/proc/", "/sys/", "//./", "//?/")


class _WireError(Exception):
    """The bytes are not valid protobuf wire format."""

    def __init__(self, message: str, *, cut_field: int | None = None) -> None:
        super().__init__(message)
        #: the field whose bytes run past the end of their message, if that was the problem
        self.cut_field = cut_field


class _Truncated(Exception):
    """The file starts as a ModelProto and is cut short."""


class _TooComplex(Exception):
    """Walking the model would exceed the scanner's bounds."""


class _Source:
    """Random-access reads of the file through a small window cache."""

    WINDOW = 1 << 16

    def __init__(self, fh: BinaryIO, size: int) -> None:
        self.fh = fh
        self.size = size
        self._start = 0
        self._data = b""

    def read(self, pos: int, n: int) -> bytes:
        if pos < self._start or pos + n > self._start + len(self._data):
            self.fh.seek(pos)
            self._data = self.fh.read(max(n, self.WINDOW))
            self._start = pos
        offset = pos - self._start
        return self._data[offset : offset + n]


@dataclass
class _Walk:
    source: _Source
    fields: int = 0
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    #: domain -> op types seen in it, for nodes outside the standard domains
    custom_domains: dict[str, set[str]] = field(default_factory=dict)
    local_function_domains: set[str] = field(default_factory=set)
    #: location -> [number of tensors, the first few tensor names]
    external_locations: dict[str, list[Any]] = field(default_factory=dict)

    def add(self, code: str, severity: Severity, message: str, **detail: Any) -> None:
        seen = self.counts.get(code, 0)
        self.counts[code] = seen + 1
        if seen < MAX_FINDINGS_PER_CODE:
            self.findings.append(_finding(code, severity, message, **detail))


def _finding(code: str, severity: Severity, message: str, **detail: Any) -> Finding:
    return Finding(code=f"onnx.{code}", severity=severity, message=message, detail=detail)


def _varint(source: _Source, pos: int, end: int) -> tuple[int, int]:
    data = source.read(pos, min(10, end - pos))
    value = 0
    for i, byte in enumerate(data):
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            if i == 9 and byte > 1:
                raise _WireError(f"varint at {pos} overflows 64 bits")
            return value, pos + i + 1
    raise _WireError(f"varint at {pos} is unterminated or longer than 10 bytes")


def _fields(walk: _Walk, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """Yield ``(field number, wire type, value, position)`` for each field in [start, end).

    For a length-delimited field the value is its length and the position is where its bytes
    begin; for the others the value is the number itself.
    """
    pos = start
    while pos < end:
        walk.fields += 1
        if walk.fields > MAX_FIELDS:
            raise _TooComplex(f"more than {MAX_FIELDS} protobuf fields")
        key, pos = _varint(walk.source, pos, end)
        number, wire = key >> 3, key & 7
        if number == 0 or number >= 1 << 29:
            raise _WireError(f"invalid field number {number}")
        if wire == VARINT:
            value, pos = _varint(walk.source, pos, end)
            yield number, wire, value, pos
        elif wire in (FIXED64, FIXED32):
            width = 8 if wire == FIXED64 else 4
            if pos + width > end:
                raise _WireError(f"fixed-width field {number} runs past its message")
            data = walk.source.read(pos, width)
            pos += width
            yield number, wire, int.from_bytes(data, "little"), pos
        elif wire == LENGTH:
            length, pos = _varint(walk.source, pos, end)
            if length > end - pos:
                raise _WireError(
                    f"field {number} claims {length} bytes past its message", cut_field=number
                )
            yield number, wire, length, pos
            pos += length
        elif wire in (START_GROUP, END_GROUP):
            raise _WireError(f"field {number} uses the deprecated group wire type")
        else:
            raise _WireError(f"field {number} has undefined wire type {wire}")
    if pos != end:
        raise _WireError("a field runs past its message")


def _string(walk: _Walk, pos: int, length: int) -> str:
    return walk.source.read(pos, min(length, MAX_STRING_BYTES)).decode("utf-8", errors="replace")


@hookimpl
def hubgate_scan_file(file: FileToScan) -> list[Finding] | None:
    with file.open() as fh:
        size = fh.seek(0, 2)
        walk = _Walk(_Source(fh, size))
        try:
            graphs = _identify(walk, size)
        except _Truncated as exc:
            return [_finding("truncated", Severity.HIGH, str(exc), file_size=size)]
        if graphs is None:
            return None
        walk.fields = 0
        try:
            for kind, start, length in graphs:
                if kind == "graph":
                    _walk_graph(walk, start, start + length, depth=1, path="graph")
                elif kind == "training_info":
                    _walk_training_info(walk, start, start + length)
                else:
                    _walk_function(walk, start, start + length)
        except _WireError as exc:
            walk.add(
                "malformed",
                Severity.HIGH,
                f"The model's graph is not valid protobuf: {exc}. Loaders may read it "
                "differently from this scanner.",
            )
        except _TooComplex as exc:
            walk.add(
                "too_complex",
                Severity.HIGH,
                f"The model could not be fully inspected: {exc}.",
            )
    _report_external_data(walk)
    _report_custom_domains(walk)
    return walk.findings


def _identify(walk: _Walk, size: int) -> list[tuple[str, int, int]] | None:
    """The top-level messages to walk when the file is a ModelProto, else None."""
    ir_version = None
    first_is_ir_version = True
    parts: list[tuple[str, int, int]] = []
    has_graph = False
    try:
        for number, wire, value, pos in _fields(walk, 0, size):
            if ir_version is None and number != MODEL_IR_VERSION:
                first_is_ir_version = False
            if number == MODEL_IR_VERSION:
                if wire != VARINT:
                    return None
                ir_version = value
            elif number == MODEL_GRAPH:
                if wire != LENGTH:
                    return None
                has_graph = True
                parts.append(("graph", pos, value))
            elif number == MODEL_TRAINING_INFO and wire == LENGTH:
                parts.append(("training_info", pos, value))
            elif number == MODEL_FUNCTIONS and wire == LENGTH:
                parts.append(("function", pos, value))
    except _WireError as exc:
        # Writers put ir_version first; a file that starts with a plausible one and then has a
        # ModelProto field cut by the end of the file is a truncated model, not random bytes.
        if (
            ir_version is not None
            and 1 <= ir_version <= MAX_IR_VERSION
            and first_is_ir_version
            and exc.cut_field in MODEL_FIELDS
        ):
            raise _Truncated(
                f"The ONNX model is cut short: field {exc.cut_field} of the ModelProto runs "
                "past the end of the file."
            ) from exc
        return None
    except _TooComplex:
        return None
    if ir_version is None or not has_graph:
        return None
    return parts


def _walk_training_info(walk: _Walk, start: int, end: int) -> None:
    for number, wire, value, pos in _fields(walk, start, end):
        if number in (TRAINING_INITIALIZATION, TRAINING_ALGORITHM) and wire == LENGTH:
            _walk_graph(walk, pos, pos + value, depth=1, path="training_info")


def _walk_function(walk: _Walk, start: int, end: int) -> None:
    nodes: list[tuple[int, int]] = []
    for number, wire, value, pos in _fields(walk, start, end):
        if number == FUNCTION_DOMAIN and wire == LENGTH:
            walk.local_function_domains.add(_string(walk, pos, value))
        elif number == FUNCTION_NODE and wire == LENGTH:
            nodes.append((pos, value))
    for pos, length in nodes:
        _walk_node(walk, pos, pos + length, depth=1, path="functions")


def _walk_graph(walk: _Walk, start: int, end: int, *, depth: int, path: str) -> None:
    if depth > MAX_GRAPH_DEPTH:
        raise _TooComplex(f"subgraphs nested more than {MAX_GRAPH_DEPTH} deep")
    for number, wire, value, pos in _fields(walk, start, end):
        if wire != LENGTH:
            continue
        if number == GRAPH_NODE:
            _walk_node(walk, pos, pos + value, depth=depth, path=path)
        elif number == GRAPH_INITIALIZER:
            _walk_tensor(walk, pos, pos + value, path=path)
        elif number == GRAPH_SPARSE_INITIALIZER:
            _walk_sparse_tensor(walk, pos, pos + value, path=path)


def _walk_node(walk: _Walk, start: int, end: int, *, depth: int, path: str) -> None:
    domain = ""
    op_type = ""
    attributes: list[tuple[int, int]] = []
    for number, wire, value, pos in _fields(walk, start, end):
        if wire != LENGTH:
            continue
        if number == NODE_DOMAIN:
            domain = _string(walk, pos, value)
        elif number == NODE_OP_TYPE:
            op_type = _string(walk, pos, value)
        elif number == NODE_ATTRIBUTE:
            attributes.append((pos, value))
    if domain not in STANDARD_DOMAINS and (
        domain in walk.custom_domains or len(walk.custom_domains) < MAX_TRACKED
    ):
        ops = walk.custom_domains.setdefault(domain, set())
        if len(ops) < MAX_FINDINGS_PER_CODE:
            ops.add(op_type[:200])
    for pos, length in attributes:
        _walk_attribute(walk, pos, pos + length, depth=depth, path=f"{path}/{op_type[:100]}")


def _walk_attribute(walk: _Walk, start: int, end: int, *, depth: int, path: str) -> None:
    for number, wire, value, pos in _fields(walk, start, end):
        if wire != LENGTH:
            continue
        if number in (ATTR_T, ATTR_TENSORS):
            _walk_tensor(walk, pos, pos + value, path=path)
        elif number in (ATTR_G, ATTR_GRAPHS):
            _walk_graph(walk, pos, pos + value, depth=depth + 1, path=path)
        elif number in (ATTR_SPARSE, ATTR_SPARSES):
            _walk_sparse_tensor(walk, pos, pos + value, path=path)


def _walk_sparse_tensor(walk: _Walk, start: int, end: int, *, path: str) -> None:
    for number, wire, value, pos in _fields(walk, start, end):
        if number in (SPARSE_VALUES, SPARSE_INDICES) and wire == LENGTH:
            _walk_tensor(walk, pos, pos + value, path=path)


def _walk_tensor(walk: _Walk, start: int, end: int, *, path: str) -> None:
    name = ""
    entries: list[tuple[int, int]] = []
    external = False
    for number, wire, value, pos in _fields(walk, start, end):
        if number == TENSOR_NAME and wire == LENGTH:
            name = _string(walk, pos, value)
        elif number == TENSOR_EXTERNAL_DATA and wire == LENGTH:
            entries.append((pos, value))
        elif number == TENSOR_DATA_LOCATION and wire == VARINT:
            external = value == DATA_LOCATION_EXTERNAL
    if not entries and not external:
        return
    info: dict[str, str] = {}
    raw_location = None
    for pos, length in entries:
        key = value = None
        raw_value = b""
        for number, wire, size, at in _fields(walk, pos, pos + length):
            if wire != LENGTH:
                continue
            if number == ENTRY_KEY:
                key = _string(walk, at, size)
            elif number == ENTRY_VALUE:
                value = _string(walk, at, size)
                raw_value = walk.source.read(at, min(size, MAX_STRING_BYTES + 1))
        if key is not None:
            info[key] = value or ""
            if key == "location":
                raw_location = raw_value
    _check_external(walk, name[:200] or "(unnamed)", path, info, raw_location)


def _check_external(
    walk: _Walk, tensor: str, path: str, info: dict[str, str], raw_location: bytes | None
) -> None:
    location = info.get("location")
    detail = {"tensor": tensor, "graph_path": path}
    if not location or raw_location is None:
        walk.add(
            "external_data_invalid_location",
            Severity.HIGH,
            f"Tensor {tensor!r} says its data is external but names no location.",
            **detail,
        )
        return
    detail["location"] = location[:500]
    problem = _location_problem(location, raw_location)
    if problem is not None:
        code, severity, why = problem
        walk.add(
            code,
            severity,
            f"Tensor {tensor!r} reads its data from {location[:200]!r}, which {why}: loading the "
            "model would read whatever file the server has there.",
            **detail,
        )
    for key in ("offset", "length"):
        if key in info and not _DIGITS.fullmatch(info[key]):
            walk.add(
                "external_data_invalid_location",
                Severity.HIGH,
                f"Tensor {tensor!r} has external data {key} {info[key][:40]!r}, not a "
                "non-negative integer.",
                **detail,
            )
    key = location[:500]
    if key in walk.external_locations or len(walk.external_locations) < MAX_TRACKED:
        tensors = walk.external_locations.setdefault(key, [0, []])
        tensors[0] += 1
        if len(tensors[1]) < MAX_FINDINGS_PER_CODE:
            tensors[1].append(tensor)


def _location_problem(location: str, raw: bytes) -> tuple[str, Severity, str] | None:
    if b"\x00" in raw or len(raw) > MAX_STRING_BYTES:
        return "external_data_invalid_location", Severity.HIGH, "is not a usable file name"
    if _SCHEME.match(location):
        return "external_data_invalid_location", Severity.HIGH, "is a URL, not a file name"
    path = location.replace("\\", "/")
    if path.startswith(_DEVICE_PREFIXES) or path in {"/dev", "/proc", "/sys"}:
        return "external_data_device", Severity.CRITICAL, "is a device or kernel file"
    if path.startswith("/") or _DRIVE.match(path):
        return (
            "external_data_absolute_path",
            Severity.CRITICAL,
            "is an absolute path outside the model's directory",
        )
    if ".." in path.split("/"):
        return (
            "external_data_traversal",
            Severity.CRITICAL,
            "climbs out of the model's directory with '..'",
        )
    return None


def _report_external_data(walk: _Walk) -> None:
    for location, (count, tensors) in list(walk.external_locations.items())[:MAX_FINDINGS_PER_CODE]:
        walk.findings.append(
            _finding(
                "external_data",
                Severity.INFO,
                f"{count} tensor(s) keep their data in {location[:200]!r}, outside this "
                "file: those weights were not in what was scanned.",
                location=location,
                tensors=tensors,
                tensor_count=count,
            )
        )


def _report_custom_domains(walk: _Walk) -> None:
    custom = {
        domain: ops
        for domain, ops in walk.custom_domains.items()
        if domain not in walk.local_function_domains
    }
    for domain, ops in sorted(custom.items())[:MAX_FINDINGS_PER_CODE]:
        walk.findings.append(
            _finding(
                "custom_operator_domain",
                Severity.MEDIUM,
                f"Nodes use operator domain {domain[:200]!r}, which is not part of ONNX: custom "
                "operators need their native library, which runs code outside the model.",
                domain=domain[:200],
                op_types=sorted(ops)[:20],
            )
        )
