"""Validates a GGUF file's header, metadata and tensor table, and its chat templates.

GGUF (llama.cpp's format) is ``GGUF``, a version (1 to 3), a tensor count and a metadata
count, the metadata key/value pairs, one info record per tensor (name, dimensions, ggml type,
offset into the data section) and, at the next multiple of ``general.alignment``, the data.
Loaders trust every count, length and offset in there; a file that lies about them is how
GGUF parsers have been attacked (heap overflows from counts and string lengths). Only the
header is read, through a bounded buffered reader; tensor data is never touched.

The metadata also carries ``tokenizer.chat_template``, a Jinja template that runtimes render
for every prompt. Rendered outside a sandbox it runs code (CVE-2024-34359, llama-cpp-python),
so templates are searched for server-side template injection gadgets: dunder attributes,
``os.``/``popen``/``subprocess``/``eval``/``exec``, the Jinja globals that lead to Python
builtins (``lipsum``, ``cycler``, ``joiner``, ``namespace``), ``self._TemplateReference__context``
and common obfuscations (``|attr``, escaped underscores, split and joined strings). This is a
heuristic over the text, not a Jinja parser: a template that passes is not proven safe.
"""

from __future__ import annotations

import hashlib
import math
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from governance.hookspecs import FileToScan, Finding, Severity, hookimpl
from plugins.scanners._archive.findings import CappedFindings

NAME = "gguf"
MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32

#: Bounds on what a header may ask us to walk (legitimate files are far below each).
MAX_TENSORS = 1_000_000
MAX_KV = 1_000_000
MAX_ARRAY_ELEMENTS = 1 << 24  # all metadata array elements together
MAX_ARRAY_DEPTH = 2  # an array of arrays at most
MAX_KEY_BYTES = 65_535
MAX_TENSOR_NAME_BYTES = 63  # GGML_MAX_NAME is 64 including the terminating NUL
MAX_DIMS = 4  # GGML_MAX_DIMS
MAX_TEMPLATE_BYTES = 1 << 20
MAX_ALIGNMENT = 1 << 30

#: GGUF metadata value types: type -> struct format of a scalar (None: string or array).
VALUE_TYPES: dict[int, str | None] = {
    0: "B",
    1: "b",
    2: "H",
    3: "h",
    4: "I",
    5: "i",
    6: "f",
    7: "?",
    8: None,
    9: None,
    10: "Q",
    11: "q",
    12: "d",
}
STRING, ARRAY, UINT32 = 8, 9, 4

#: ggml tensor types GGUF files may use: type -> (name, elements per block, bytes per block).
GGML_TYPES: dict[int, tuple[str, int, int]] = {
    0: ("F32", 1, 4),
    1: ("F16", 1, 2),
    2: ("Q4_0", 32, 18),
    3: ("Q4_1", 32, 20),
    6: ("Q5_0", 32, 22),
    7: ("Q5_1", 32, 24),
    8: ("Q8_0", 32, 34),
    9: ("Q8_1", 32, 36),
    10: ("Q2_K", 256, 84),
    11: ("Q3_K", 256, 110),
    12: ("Q4_K", 256, 144),
    13: ("Q5_K", 256, 176),
    14: ("Q6_K", 256, 210),
    15: ("Q8_K", 256, 292),
    16: ("IQ2_XXS", 256, 66),
    17: ("IQ2_XS", 256, 74),
    18: ("IQ3_XXS", 256, 98),
    19: ("IQ1_S", 256, 50),
    20: ("IQ4_NL", 32, 18),
    21: ("IQ3_S", 256, 110),
    22: ("IQ2_S", 256, 82),
    23: ("IQ4_XS", 256, 136),
    24: ("I8", 1, 1),
    25: ("I16", 1, 2),
    26: ("I32", 1, 4),
    27: ("I64", 1, 8),
    28: ("F64", 1, 8),
    29: ("IQ1_M", 256, 56),
    30: ("BF16", 1, 2),
    34: ("TQ1_0", 256, 54),
    35: ("TQ2_0", 256, 66),
    39: ("MXFP4", 32, 17),
    40: ("NVFP4", 64, 36),
    41: ("Q1_0", 128, 18),
    42: ("Q2_0", 64, 18),
}

CHAT_TEMPLATE_KEY = "tokenizer.chat_template"

#: Python's special attributes that template injection walks through (``<__media__>``-style
#: placeholders in multimodal templates are not among them).
_DUNDERS = (
    "class",
    "mro",
    "base",
    "bases",
    "subclasses",
    "init",
    "new",
    "globals",
    "builtins",
    "builtin",
    "import",
    "getattribute",
    "getattr",
    "dict",
    "code",
    "func",
    "self",
    "module",
    "reduce",
    "reduce_ex",
    "loader",
    "spec",
    "getitem",
    "call",
    "closure",
    "qualname",
    "name",
    "doc",
    "enter",
    "exit",
    "defaults",
    "kwdefaults",
    "wrapped",
    "objclass",
    "file",
    "path",
    "package",
    "traceback",
    "frame",
    "setattr",
    "delattr",
    "dir",
    "weakref",
    "slots",
)

#: Template text that has no business in a chat template and reaches Python internals.
_GADGETS: list[tuple[str, re.Pattern[str]]] = [
    (name, re.compile(pattern))
    for name, pattern in [
        ("dunder attribute", rf"__(?:{'|'.join(_DUNDERS)})__"),
        ("self._TemplateReference__context", r"_TemplateReference__context"),
        ("private attribute of self", r"\bself\s*\.\s*_"),
        ("os.", r"\bos\s*\.\s*[A-Za-z_]"),
        ("os module by name", r"""['"]os['"]"""),
        ("popen", r"(?i)popen"),
        ("subprocess", r"subprocess"),
        ("eval", r"\beval\s*\("),
        ("exec", r"\bexec\s*\("),
        ("compile", r"\bcompile\s*\("),
        ("lipsum", r"\blipsum\b"),
        ("cycler", r"\bcycler\b"),
        ("joiner", r"\bjoiner\b"),
        ("namespace.__init__", r"namespace\s*\.\s*__init__"),
        ("importlib", r"importlib"),
        ("builtins", r"\bbuiltins\b"),
        ("getattr", r"\b[gs]etattr\b"),
        ("globals", r"\bglobals\s*\("),
        # |attr('content') is harmless; with anything but a plain name it builds one.
        ("attr filter", r"""\|\s*attr\b(?!\s*\(\s*(['"])[A-Za-z][A-Za-z0-9]*\1\s*\))"""),
        ("mro", r"\bmro\b"),
        ("frame or code object", r"\b(?:f_globals|f_locals|gi_frame|gi_code|tb_frame|co_code)\b"),
        ("underscore arithmetic", r"""['"]_+['"]\s*\*"""),
        ("character formatting", r"""['"][^'"]*%c[^'"]*['"]\s*\|\s*format"""),
        ("string-to-list trick", r"\|\s*string\s*\|\s*list\b"),
    ]
]
#: Applied after removing quotes, concatenation operators and whitespace, which catches
#: ``"__cla" ~ "ss__"`` and ``["__cl", "ass__"]|join``.
_JOINED_GADGETS = [_GADGETS[0], _GADGETS[1]]
_ESCAPE = re.compile(r"\\(?:x([0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|([0-7]{1,3}))")
_JOINERS = re.compile(r"""['"~+,\s\[\]()]|\|\s*join\b""")


class _Stop(Exception):
    """Parsing cannot continue; the finding says why."""

    def __init__(self, code: str, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.code = code
        self.detail = detail


class _Reader:
    """Bounded, buffered reads of the header region; never past the end of the file."""

    CHUNK = 1 << 20

    def __init__(self, fh: BinaryIO, size: int, endian: str) -> None:
        self.fh = fh
        self.size = size
        self.endian = endian
        self.pos = 0
        self._buf = b""
        self._buf_start = 0

    def remaining(self) -> int:
        return self.size - self.pos

    def read(self, n: int) -> bytes:
        if n > self.remaining():
            raise _Stop(
                "truncated",
                f"The header needs {n} bytes at offset {self.pos} but the file ends at "
                f"{self.size}.",
                offset=self.pos,
                file_size=self.size,
            )
        start = self.pos - self._buf_start
        if start < 0 or start + n > len(self._buf):
            self.fh.seek(self.pos)
            self._buf = self.fh.read(max(n, self.CHUNK))
            self._buf_start = self.pos
            start = 0
            if len(self._buf) < n:
                raise _Stop("truncated", "The file ended while reading the header.")
        self.pos += n
        return self._buf[start : start + n]

    def skip(self, n: int, what: str = "value") -> None:
        if n > self.remaining():
            raise _Stop(
                f"{what}_out_of_bounds",
                f"A {what} of {n} bytes at offset {self.pos} runs past the end of the file.",
                offset=self.pos,
                length=n,
            )
        self.pos += n

    def scalar(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        return struct.unpack(self.endian + fmt, self.read(size))[0]


@dataclass
class _Scan:
    file_size: int
    report: CappedFindings = field(
        default_factory=lambda: CappedFindings("gguf", summary_key="finding_code")
    )
    elements: int = 0

    def add(self, code: str, severity: Severity, message: str, **detail: Any) -> None:
        self.report.add(code, severity, message, **detail)


def _finding(code: str, severity: Severity, message: str, **detail: Any) -> Finding:
    return Finding(code=f"gguf.{code}", severity=severity, message=message, detail=detail)


@hookimpl
def hubgate_scan_file(file: FileToScan) -> list[Finding] | None:
    with file.open() as fh:
        head = fh.read(24)
        if head[:4] != MAGIC:
            return None
        size = fh.seek(0, 2)
        scan = _Scan(file_size=size)
        try:
            _scan(fh, head, scan)
        except _Stop as stop:
            scan.report.findings.append(
                _finding(stop.code, Severity.HIGH, str(stop), **stop.detail)
            )
    return scan.report.result()


def _version(head: bytes) -> tuple[int, str]:
    if len(head) < 8:
        raise _Stop("truncated", "The file ends inside the GGUF header.", file_size=len(head))
    (little,) = struct.unpack("<I", head[4:8])
    if 1 <= little <= 3:
        return little, "<"
    (big,) = struct.unpack(">I", head[4:8])
    if 2 <= big <= 3:  # big-endian files exist since v3 (and some v2 conversions)
        return big, ">"
    raise _Stop(
        "unsupported_version",
        f"GGUF version {little} is not one of 1, 2 or 3; no loader knows how to read it.",
        version=little,
    )


def _scan(fh: BinaryIO, head: bytes, scan: _Scan) -> None:
    version, endian = _version(head)
    reader = _Reader(fh, scan.file_size, endian)
    reader.skip(8)
    count_fmt = "I" if version == 1 else "Q"
    tensor_count = reader.scalar(count_fmt)
    kv_count = reader.scalar(count_fmt)
    _check_counts(tensor_count, kv_count, reader, count_fmt)

    alignment = DEFAULT_ALIGNMENT
    keys: set[str | bytes] = set()
    for _ in range(kv_count):
        key = _read_string(reader, count_fmt, limit=MAX_KEY_BYTES, what="key")
        value_type = reader.scalar("I")
        seen_key = _identity(key)
        if seen_key in keys:
            scan.add(
                "duplicate_key",
                Severity.HIGH,
                f"Metadata key {key!r} appears twice; loaders disagree on which value wins.",
                key=key[:200],
            )
        keys.add(seen_key)
        if value_type not in VALUE_TYPES:
            raise _Stop(
                "invalid_value_type",
                f"Metadata key {key!r} has value type {value_type}, which GGUF does not define.",
                key=key[:200],
                value_type=value_type,
            )
        if key == "general.alignment":
            alignment = _read_alignment(reader, value_type, scan) or alignment
        elif key == CHAT_TEMPLATE_KEY or key.startswith(CHAT_TEMPLATE_KEY + "."):
            _check_template_value(reader, key, value_type, count_fmt, scan)
        else:
            _skip_value(reader, value_type, count_fmt, scan, depth=0)

    spans = _read_tensor_infos(reader, tensor_count, count_fmt, alignment, scan)
    data_start = _align(reader.pos, alignment)
    if not spans:
        return  # nothing is read from the data section (vocabulary-only files end unpadded)
    if data_start > scan.file_size:
        raise _Stop(
            "data_out_of_bounds",
            f"The tensor data section would start at byte {data_start}, past the end of the "
            f"{scan.file_size}-byte file.",
            data_start=data_start,
            file_size=scan.file_size,
        )
    _check_layout(spans, scan.file_size - data_start, alignment, scan)


def _check_counts(tensor_count: int, kv_count: int, reader: _Reader, count_fmt: str) -> None:
    if tensor_count > MAX_TENSORS or kv_count > MAX_KV:
        raise _Stop(
            "counts_implausible",
            f"The header claims {tensor_count} tensors and {kv_count} metadata keys, above the "
            f"{MAX_TENSORS} / {MAX_KV} a scanner walks.",
            tensor_count=tensor_count,
            kv_count=kv_count,
        )
    length = struct.calcsize(count_fmt)
    # The smallest possible records: an empty key, its type and a one-byte value; an empty
    # tensor name, no dimension, type and offset.
    smallest = kv_count * (length + 4 + 1) + tensor_count * (length + 4 + 4 + 8)
    if smallest > reader.remaining():
        raise _Stop(
            "counts_implausible",
            f"The header claims {tensor_count} tensors and {kv_count} metadata keys, which "
            f"cannot fit in the {reader.size}-byte file.",
            tensor_count=tensor_count,
            kv_count=kv_count,
            file_size=reader.size,
        )


def _read_string(reader: _Reader, count_fmt: str, *, limit: int, what: str) -> str:
    length = reader.scalar(count_fmt)
    if length > reader.remaining():
        raise _Stop(
            "string_out_of_bounds",
            f"A {what} claims {length} bytes at offset {reader.pos}, past the end of the file.",
            offset=reader.pos,
            length=length,
        )
    if length > limit:
        raise _Stop(
            f"{what.replace(' ', '_')}_too_long",
            f"A {what} of {length} bytes is longer than the {limit} bytes GGUF allows.",
            length=length,
        )
    return reader.read(length).decode("utf-8", errors="replace")


def _read_alignment(reader: _Reader, value_type: int, scan: _Scan) -> int | None:
    if value_type != UINT32:
        scan.add(
            "invalid_alignment",
            Severity.HIGH,
            f"general.alignment has value type {value_type}; GGUF requires a uint32.",
            value_type=value_type,
        )
        _skip_value(reader, value_type, "Q", scan, depth=0)
        return None
    value = reader.scalar("I")
    if value == 0 or value & (value - 1) or value > MAX_ALIGNMENT:
        scan.add(
            "invalid_alignment",
            Severity.HIGH,
            f"general.alignment is {value}; it must be a power of two (at most {MAX_ALIGNMENT}).",
            alignment=value,
        )
        return None
    return value


def _skip_value(reader: _Reader, value_type: int, count_fmt: str, scan: _Scan, depth: int) -> None:
    fmt = VALUE_TYPES[value_type]
    if fmt is not None:
        reader.skip(struct.calcsize(fmt))
    elif value_type == STRING:
        length = reader.scalar(count_fmt)
        reader.skip(length, "string")
    else:
        _skip_array(reader, count_fmt, scan, depth + 1)


def _skip_array(reader: _Reader, count_fmt: str, scan: _Scan, depth: int) -> None:
    if depth > MAX_ARRAY_DEPTH:
        raise _Stop(
            "array_nesting_too_deep",
            f"Metadata arrays are nested {depth} deep; no loader needs more than "
            f"{MAX_ARRAY_DEPTH}.",
            depth=depth,
        )
    item_type = reader.scalar("I")
    count = reader.scalar(count_fmt)
    if item_type not in VALUE_TYPES:
        raise _Stop(
            "invalid_value_type",
            f"A metadata array has item type {item_type}, which GGUF does not define.",
            value_type=item_type,
        )
    fmt = VALUE_TYPES[item_type]
    # Every string takes at least its length prefix and every array its type and count.
    smallest = struct.calcsize(fmt) if fmt is not None else struct.calcsize(count_fmt)
    smallest += 4 if item_type == ARRAY else 0
    if count * smallest > reader.remaining():
        raise _Stop(
            "array_out_of_bounds",
            f"A metadata array claims {count} items, which cannot fit in the rest of the file.",
            count=count,
        )
    scan.elements += count
    if scan.elements > MAX_ARRAY_ELEMENTS:
        raise _Stop(
            "metadata_too_large",
            f"The metadata arrays hold more than {MAX_ARRAY_ELEMENTS} elements.",
            elements=scan.elements,
        )
    if fmt is not None:
        reader.skip(count * smallest, "array")
        return
    for _ in range(count):
        _skip_value(reader, item_type, count_fmt, scan, depth)


def _check_template_value(
    reader: _Reader, key: str, value_type: int, count_fmt: str, scan: _Scan
) -> None:
    if value_type != STRING:
        scan.add(
            "chat_template_not_string",
            Severity.MEDIUM,
            f"{key} has value type {value_type}; a chat template must be a string.",
            key=key[:200],
        )
        _skip_value(reader, value_type, count_fmt, scan, depth=0)
        return
    length = reader.scalar(count_fmt)
    if length > reader.remaining():
        raise _Stop(
            "string_out_of_bounds",
            f"{key} claims {length} bytes, past the end of the file.",
            key=key[:200],
            length=length,
        )
    if length > MAX_TEMPLATE_BYTES:
        reader.skip(length, "string")
        scan.add(
            "chat_template_too_large",
            Severity.HIGH,
            f"{key} is {length} bytes, above the {MAX_TEMPLATE_BYTES} bytes a scanner reads; "
            "it cannot be checked for template injection.",
            key=key[:200],
            length=length,
        )
        return
    template = reader.read(length).decode("utf-8", errors="replace")
    gadgets: dict[str, tuple[str, str]] = {}
    for name, text, excerpt in _template_gadgets(template):
        gadgets.setdefault(text, (name, excerpt))
    if gadgets:
        first_text, (first_name, excerpt) = next(iter(gadgets.items()))
        scan.add(
            "chat_template_injection",
            Severity.CRITICAL,
            f"{key} contains {first_name} {first_text!r}, a template injection gadget: "
            "rendering it can run code on the machine that serves the model.",
            key=key[:200],
            gadget=first_text,
            gadgets=list(gadgets)[:20],
            excerpt=excerpt,
        )


def _template_gadgets(template: str) -> Iterator[tuple[str, str, str]]:
    unescaped = _ESCAPE.sub(_unescape, template)
    joined = _JOINERS.sub("", unescaped)
    for text, patterns in ((template, _GADGETS), (unescaped, _GADGETS), (joined, _JOINED_GADGETS)):
        for name, pattern in patterns:
            for match in pattern.finditer(text):
                start = max(0, match.start() - 40)
                yield name, match.group(0)[:80], text[start : match.end() + 40]


def _unescape(match: re.Match[str]) -> str:
    hex2, hex4, hex8, octal = match.groups()
    code = int(hex2 or hex4 or hex8, 16) if octal is None else int(octal, 8)
    return chr(code) if code < 0x110000 else match.group(0)


def _read_tensor_infos(
    reader: _Reader, tensor_count: int, count_fmt: str, alignment: int, scan: _Scan
) -> list[tuple[int, int | None, str]]:
    """Every tensor's (offset, byte size or None when unknown, name)."""
    spans: list[tuple[int, int | None, str]] = []
    names: set[str | bytes] = set()
    for _ in range(tensor_count):
        name = _read_string(reader, count_fmt, limit=1 << 16, what="tensor name")
        n_dims = reader.scalar("I")
        if n_dims > MAX_DIMS:
            raise _Stop(
                "too_many_dims",
                f"Tensor {name!r} has {n_dims} dimensions; ggml supports at most {MAX_DIMS}.",
                tensor=name[:200],
                n_dims=n_dims,
            )
        dims = [reader.scalar(count_fmt) for _ in range(n_dims)]
        ggml_type = reader.scalar("I")
        offset = reader.scalar("Q")
        if len(name.encode("utf-8", errors="replace")) > MAX_TENSOR_NAME_BYTES:
            scan.add(
                "tensor_name_too_long",
                Severity.HIGH,
                f"Tensor name {name[:80]!r} is longer than the {MAX_TENSOR_NAME_BYTES} bytes "
                "ggml allows; loaders copy it into a fixed-size buffer.",
                tensor=name[:200],
            )
        if _identity(name) in names:
            scan.add(
                "duplicate_tensor",
                Severity.HIGH,
                f"Tensor {name!r} is defined twice.",
                tensor=name[:200],
            )
        names.add(_identity(name))
        spans.append((offset, _tensor_bytes(name, dims, ggml_type, scan), name[:200]))
        if offset % alignment:
            scan.add(
                "tensor_misaligned",
                Severity.HIGH,
                f"Tensor {name!r} starts at data offset {offset}, not a multiple of the "
                f"alignment {alignment}.",
                tensor=name[:200],
                offset=offset,
                alignment=alignment,
            )
    return spans


def _tensor_bytes(name: str, dims: list[int], ggml_type: int, scan: _Scan) -> int | None:
    if any(d == 0 or d >= 2**63 for d in dims):
        scan.add(
            "invalid_dims",
            Severity.HIGH,
            f"Tensor {name!r} has dimensions {dims}; each must be positive.",
            tensor=name[:200],
            dims=[str(d) for d in dims],
        )
        return None
    elements = math.prod(dims)
    if elements >= 2**63:
        scan.add(
            "dims_overflow",
            Severity.HIGH,
            f"Tensor {name!r} has dimensions {dims} whose product overflows 64 bits.",
            tensor=name[:200],
            dims=[str(d) for d in dims],
        )
        return None
    if ggml_type not in GGML_TYPES:
        scan.add(
            "unknown_tensor_type",
            Severity.MEDIUM,
            f"Tensor {name!r} has ggml type {ggml_type}, which this scanner does not know; its "
            "size cannot be checked.",
            tensor=name[:200],
            ggml_type=ggml_type,
        )
        return None
    type_name, block, block_bytes = GGML_TYPES[ggml_type]
    if dims and dims[0] % block:
        scan.add(
            "tensor_shape_invalid",
            Severity.HIGH,
            f"Tensor {name!r} of type {type_name} has rows of {dims[0]} elements, not a "
            f"multiple of the {block}-element block.",
            tensor=name[:200],
            ggml_type=type_name,
        )
        return None
    return elements // block * block_bytes


def _identity(text: str) -> str | bytes:
    """What duplicate checks remember of a name: itself, or a digest when it is long."""
    return text if len(text) <= 256 else hashlib.sha256(text.encode()).digest()


def _align(value: int, alignment: int) -> int:
    return (value + alignment - 1) // alignment * alignment


def _check_layout(
    spans: list[tuple[int, int | None, str]], data_size: int, alignment: int, scan: _Scan
) -> None:
    in_range = [span for span in spans if span[0] <= data_size]
    for offset, _, name in spans:
        if offset > data_size:
            scan.add(
                "tensor_out_of_bounds",
                Severity.HIGH,
                f"Tensor {name!r} starts at data offset {offset}, past the {data_size}-byte "
                "data section.",
                tensor=name[:200],
                offset=offset,
                data_size=data_size,
            )
    sized = sorted(
        (offset, nbytes, name) for offset, nbytes, name in in_range if nbytes is not None
    )
    position = 0
    for offset, nbytes, name in sized:
        end = offset + nbytes
        if end > data_size:
            scan.add(
                "tensor_out_of_bounds",
                Severity.HIGH,
                f"Tensor {name!r} ends at data offset {end}, past the {data_size}-byte data "
                "section.",
                tensor=name[:200],
                offset=offset,
                end=end,
                data_size=data_size,
            )
        if offset < position:
            scan.add(
                "tensors_overlap",
                Severity.HIGH,
                f"Tensor {name!r} (from {offset}) overlaps the tensor before it (which ends at "
                f"{position}).",
                tensor=name[:200],
                offset=offset,
            )
        elif offset > _align(position, alignment):
            scan.add(
                "data_gap",
                Severity.MEDIUM,
                f"{offset - _align(position, alignment)} bytes before tensor {name!r} belong "
                "to no tensor.",
                tensor=name[:200],
                unaccounted_bytes=offset - _align(position, alignment),
            )
        position = max(position, end)
    if len(sized) == len(spans) and _align(position, alignment) < data_size:
        scan.add(
            "trailing_data",
            Severity.MEDIUM,
            f"{data_size - _align(position, alignment)} bytes after the last tensor belong to "
            "no tensor; a file can hide a second payload there.",
            unaccounted_bytes=data_size - _align(position, alignment),
        )
