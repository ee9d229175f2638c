"""Validates a safetensors file's header without loading any tensor.

A safetensors file is an 8-byte little-endian header length N, N bytes of JSON describing
every tensor (dtype, shape, byte offsets into the data that follows) plus optional
``__metadata__`` of string pairs, then the tensor data. Loaders trust this header; a header
that points outside the file, overlaps tensors, leaves bytes unaccounted for or is huge is
how malformed and polyglot files attack them. Only the header is read.
"""

from __future__ import annotations

import json
import struct
from typing import Any

from governance.hookspecs import FileToScan, Finding, PluginSettings, Severity, hookimpl

NAME = "safetensors_header"
#: safetensors' own reader refuses headers above 100 MB.
DEFAULT_MAX_HEADER_BYTES = 100_000_000

#: Bits per element of every dtype the safetensors format defines.
DTYPE_BITS = {
    "BOOL": 8,
    "U8": 8,
    "I8": 8,
    "F8_E5M2": 8,
    "F8_E4M3": 8,
    "F8_E8M0": 8,
    "I16": 16,
    "U16": 16,
    "F16": 16,
    "BF16": 16,
    "I32": 32,
    "U32": 32,
    "F32": 32,
    "I64": 64,
    "U64": 64,
    "F64": 64,
    "C64": 64,
    "F4": 4,
    "F6_E2M3": 6,
    "F6_E3M2": 6,
}

hubgate_settings = PluginSettings(
    defaults={"max_header_bytes": DEFAULT_MAX_HEADER_BYTES},
    types={"max_header_bytes": int},
    checks={"max_header_bytes": (lambda value: value >= 2, "an integer of at least 2")},
)


def _looks_like_safetensors(head: bytes) -> bool:
    if len(head) < 9:
        return False
    (length,) = struct.unpack("<Q", head[:8])
    return 2 <= length < 2**40 and head[8:9] == b"{"


def _claims_safetensors(file: FileToScan) -> bool:
    return file.name.lower().endswith(".safetensors") or (file.declared_format or "") in {
        "SafeTensor",
        "safetensors",
    }


def _finding(code: str, severity: Severity, message: str, **detail: Any) -> Finding:
    return Finding(code=f"safetensors.{code}", severity=severity, message=message, detail=detail)


@hookimpl
def hubgate_scan_file(file: FileToScan) -> list[Finding] | None:
    with file.open() as fh:
        head = fh.read(9)
        if not _looks_like_safetensors(head):
            if not _claims_safetensors(file):
                return None
            return [
                _finding(
                    "not_safetensors",
                    Severity.HIGH,
                    "The file is named or declared as safetensors but its content is not: "
                    "it must not be loaded as one.",
                    first_bytes=head.hex(),
                )
            ]
        (length,) = struct.unpack("<Q", head[:8])
        max_header = hubgate_settings["max_header_bytes"]
        if length > max_header:
            return [
                _finding(
                    "header_too_large",
                    Severity.HIGH,
                    f"The header claims {length} bytes, above the {max_header} "
                    "byte limit loaders enforce.",
                    header_length=length,
                )
            ]
        if 8 + length > file.size:
            return [
                _finding(
                    "header_out_of_bounds",
                    Severity.HIGH,
                    f"The header claims {length} bytes but the file has only {file.size}.",
                    header_length=length,
                    file_size=file.size,
                )
            ]
        fh.seek(8)
        raw = fh.read(length)
    return _check_header(raw, data_size=file.size - 8 - length)


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Linear in the number of keys: a hostile header may name hundreds of thousands of
    # tensors, and counting each key in the list (as this once did) made the scan quadratic
    # (issue 16). The common case, no duplicate, costs one dict build.
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    seen: set[str] = set()
    duplicated: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            duplicated.add(key)
        seen.add(key)
    raise _DuplicateKeyError(sorted(duplicated))


class _DuplicateKeyError(ValueError):
    def __init__(self, keys: list[str]) -> None:
        super().__init__(", ".join(keys))
        self.keys = keys


def _check_header(raw: bytes, *, data_size: int) -> list[Finding]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [_finding("header_not_utf8", Severity.HIGH, f"The header is not UTF-8: {exc}.")]
    try:
        header = json.loads(text, object_pairs_hook=_reject_duplicates)
    except _DuplicateKeyError as exc:
        return [
            _finding(
                "duplicate_key",
                Severity.HIGH,
                "The header names a key twice; loaders disagree on which one wins.",
                keys=exc.keys[:20],
            )
        ]
    except ValueError as exc:
        return [_finding("header_invalid_json", Severity.HIGH, f"The header is not JSON: {exc}.")]
    if not isinstance(header, dict):
        return [_finding("header_not_object", Severity.HIGH, "The header is not a JSON object.")]

    findings: list[Finding] = []
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (
        isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())
    ):
        findings.append(
            _finding(
                "metadata_not_strings",
                Severity.MEDIUM,
                "__metadata__ must map strings to strings; other values are not allowed.",
            )
        )

    spans: list[tuple[int, int, str]] = []
    for name, info in header.items():
        span = _check_tensor(name, info, findings)
        if span is not None:
            spans.append((span[0], span[1], name))
    findings.extend(_check_layout(spans, data_size))
    return findings


def _check_tensor(name: str, info: Any, findings: list[Finding]) -> tuple[int, int] | None:
    if not (
        isinstance(info, dict)
        and isinstance(info.get("dtype"), str)
        and isinstance(info.get("shape"), list)
        and isinstance(info.get("data_offsets"), list)
        and len(info["data_offsets"]) == 2
        and all(_is_index(d) for d in info["shape"])
        and all(_is_index(o) for o in info["data_offsets"])
    ):
        findings.append(
            _finding(
                "tensor_malformed",
                Severity.HIGH,
                f"Tensor {name!r} lacks a valid dtype, shape or data_offsets.",
                tensor=name,
            )
        )
        return None
    begin, end = info["data_offsets"]
    if end < begin:
        findings.append(
            _finding(
                "offsets_reversed",
                Severity.HIGH,
                f"Tensor {name!r} ends before it begins ({begin} > {end}).",
                tensor=name,
            )
        )
        return None
    bits = DTYPE_BITS.get(info["dtype"])
    if bits is None:
        findings.append(
            _finding(
                "unknown_dtype",
                Severity.MEDIUM,
                f"Tensor {name!r} has dtype {info['dtype']!r}, which safetensors does not define.",
                tensor=name,
                dtype=info["dtype"][:32],
            )
        )
    else:
        expected_bits = _element_count(info["shape"], limit=_MAX_ELEMENTS) * bits
        if expected_bits != (end - begin) * 8:
            needs = (
                f"{expected_bits / 8:g} bytes"
                if expected_bits <= _MAX_ELEMENTS * bits
                else "more bytes than any file holds"
            )
            findings.append(
                _finding(
                    "shape_mismatch",
                    Severity.HIGH,
                    f"Tensor {name!r} of shape {info['shape']} and dtype {info['dtype']} needs "
                    f"{needs} but its offsets span {end - begin}.",
                    tensor=name,
                )
            )
    return begin, end


#: Offsets are below 2**63 bytes, so no valid tensor has more elements than 2**66 (4-bit
#: dtypes): any product above that is a mismatch whatever its exact value.
_MAX_ELEMENTS = 2**66


def _element_count(shape: list[int], *, limit: int) -> int:
    """The product of ``shape``, or ``limit + 1`` once it exceeds ``limit``.

    A hostile shape of many huge dimensions would make the exact product a number of
    millions of digits, each multiplication slower than the last; stopping at the limit keeps
    the check linear in the length of the shape.
    """
    if 0 in shape:
        return 0
    count = 1
    for dim in shape:
        count *= dim
        if count > limit:
            return limit + 1
    return count


def _is_index(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def _check_layout(spans: list[tuple[int, int, str]], data_size: int) -> list[Finding]:
    findings: list[Finding] = []
    spans.sort()
    position = 0
    for begin, end, name in spans:
        if end > data_size:
            findings.append(
                _finding(
                    "offsets_out_of_range",
                    Severity.HIGH,
                    f"Tensor {name!r} ends at byte {end} of a {data_size}-byte data section.",
                    tensor=name,
                )
            )
        if begin < position:
            findings.append(
                _finding(
                    "offsets_overlap",
                    Severity.HIGH,
                    f"Tensor {name!r} overlaps the tensor before it (starts at {begin}, "
                    f"previous ends at {position}).",
                    tensor=name,
                )
            )
        elif begin > position:
            findings.append(
                _finding(
                    "offsets_gap",
                    Severity.MEDIUM,
                    f"{begin - position} bytes before tensor {name!r} belong to no tensor.",
                    tensor=name,
                )
            )
        position = max(position, end)
    if position < data_size:
        findings.append(
            _finding(
                "trailing_data",
                Severity.HIGH,
                f"{data_size - position} bytes after the last tensor belong to no tensor; "
                "a file can hide a second payload there.",
                unaccounted_bytes=data_size - position,
            )
        )
    return findings
