"""The safetensors header validator, on files each test writes itself."""

import json
import os
import struct
from pathlib import Path

import pytest

from governance.hookspecs import FileToScan, Severity
from plugins.scanners import safetensors_header
from plugins.scanners.safetensors_header import hubgate_scan_file


def write_safetensors(
    path: Path, tensors: dict, data: bytes, *, metadata=None, raw_header: bytes | None = None
) -> FileToScan:
    header = dict(tensors)
    if metadata is not None:
        header["__metadata__"] = metadata
    encoded = raw_header if raw_header is not None else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + data)
    return FileToScan(path=path, name=path.name, size=path.stat().st_size)


def scan(file: FileToScan) -> list[str] | None:
    findings = hubgate_scan_file(file)
    return None if findings is None else sorted(f.code for f in findings)


@pytest.fixture
def good(tmp_path: Path) -> FileToScan:
    tensors = {
        "a": {"dtype": "F16", "shape": [2, 3], "data_offsets": [0, 12]},
        "b": {"dtype": "F32", "shape": [4], "data_offsets": [12, 28]},
        "c": {"dtype": "F4", "shape": [4], "data_offsets": [28, 30]},
    }
    return write_safetensors(
        tmp_path / "good.safetensors", tensors, bytes(30), metadata={"format": "pt"}
    )


def test_valid_file_has_no_findings(good: FileToScan) -> None:
    assert scan(good) == []


def test_file_that_is_not_safetensors_and_does_not_claim_to_be_is_not_its_business(
    tmp_path: Path,
) -> None:
    path = tmp_path / "notes.bin"
    path.write_bytes(b"PK\x03\x04" + os.urandom(64))
    assert scan(FileToScan(path=path, name="notes.bin", size=68)) is None


@pytest.mark.parametrize(
    "content",
    [b"", b"\x10\x00", os.urandom(4096), b"\x80\x02}q\x00." + bytes(20)],
    ids=["empty", "truncated", "random", "pickle"],
)
def test_content_that_lies_about_being_safetensors_is_high(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(content)
    findings = hubgate_scan_file(FileToScan(path=path, name=path.name, size=len(content)))
    assert [f.code for f in findings] == ["safetensors.not_safetensors"]
    assert findings[0].severity is Severity.HIGH


def test_declared_format_counts_as_a_claim(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    path.write_bytes(b"garbage!!")
    file = FileToScan(path=path, name="blob", size=9, declared_format="SafeTensor")
    assert scan(file) == ["safetensors.not_safetensors"]


def test_content_is_recognised_whatever_the_name(tmp_path: Path) -> None:
    tensors = {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}
    file = write_safetensors(tmp_path / "weights.ckpt", tensors, bytes(8))
    assert scan(file) == ["safetensors.trailing_data"]


def test_header_longer_than_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.safetensors"
    path.write_bytes(struct.pack("<Q", 5000) + b'{"a": 1}')
    assert scan(FileToScan(path=path, name=path.name, size=16)) == [
        "safetensors.header_out_of_bounds"
    ]


def test_huge_header_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "x.safetensors"
    path.write_bytes(struct.pack("<Q", 2**39) + b"{" + bytes(100))
    findings = hubgate_scan_file(FileToScan(path=path, name=path.name, size=109))
    assert [f.code for f in findings] == ["safetensors.header_too_large"]
    assert findings[0].detail["header_length"] == 2**39


def test_configured_header_limit_applies(good: FileToScan) -> None:
    safetensors_header.hubgate_settings.apply({"max_header_bytes": 16})
    try:
        assert scan(good) == ["safetensors.header_too_large"]
    finally:
        safetensors_header.hubgate_settings.apply({})


@pytest.mark.parametrize("bad", [-1, "big", True, 1])
def test_invalid_configuration_is_rejected(bad) -> None:
    with pytest.raises(ValueError, match="max_header_bytes"):
        safetensors_header.hubgate_settings.apply({"max_header_bytes": bad})


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b'{"a": ', "safetensors.header_invalid_json"),
        (b"{\xff\xfe}", "safetensors.header_not_utf8"),
        (b'{"a": 1, "a": 2}', "safetensors.duplicate_key"),
    ],
)
def test_broken_headers(tmp_path: Path, raw: bytes, code: str) -> None:
    file = write_safetensors(tmp_path / "x.safetensors", {}, b"", raw_header=raw)
    assert scan(file) == [code]


def test_metadata_must_be_strings(tmp_path: Path) -> None:
    file = write_safetensors(
        tmp_path / "x.safetensors", {}, b"", metadata={"epochs": 10, "ok": "yes"}
    )
    assert scan(file) == ["safetensors.metadata_not_strings"]


def test_unknown_dtype_is_medium(tmp_path: Path) -> None:
    tensors = {"a": {"dtype": "Q4_K", "shape": [4], "data_offsets": [0, 4]}}
    findings = hubgate_scan_file(write_safetensors(tmp_path / "x.safetensors", tensors, bytes(4)))
    assert [(f.code, f.severity) for f in findings] == [
        ("safetensors.unknown_dtype", Severity.MEDIUM)
    ]


def test_shape_must_match_byte_size(tmp_path: Path) -> None:
    tensors = {"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}
    file = write_safetensors(tmp_path / "x.safetensors", tensors, bytes(8))
    assert scan(file) == ["safetensors.shape_mismatch"]


@pytest.mark.parametrize(
    "info",
    [
        {"dtype": "F32", "shape": [1]},
        {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]},
        {"dtype": "F32", "shape": [1], "data_offsets": [0]},
        {"dtype": 7, "shape": [1], "data_offsets": [0, 4]},
        "not an object",
    ],
)
def test_malformed_tensor_entries(tmp_path: Path, info) -> None:
    file = write_safetensors(tmp_path / "x.safetensors", {"a": info}, bytes(4))
    assert "safetensors.tensor_malformed" in scan(file)


def test_reversed_offsets(tmp_path: Path) -> None:
    tensors = {"a": {"dtype": "U8", "shape": [0], "data_offsets": [4, 0]}}
    file = write_safetensors(tmp_path / "x.safetensors", tensors, bytes(4))
    assert "safetensors.offsets_reversed" in scan(file)


def test_overlapping_tensors(tmp_path: Path) -> None:
    tensors = {
        "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]},
    }
    file = write_safetensors(tmp_path / "x.safetensors", tensors, bytes(12))
    assert scan(file) == ["safetensors.offsets_overlap"]


def test_gap_between_tensors(tmp_path: Path) -> None:
    tensors = {
        "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
        "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]},
    }
    file = write_safetensors(tmp_path / "x.safetensors", tensors, bytes(12))
    assert scan(file) == ["safetensors.offsets_gap"]


def test_tensor_beyond_the_data(tmp_path: Path) -> None:
    tensors = {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}
    file = write_safetensors(tmp_path / "x.safetensors", tensors, bytes(8))
    assert scan(file) == ["safetensors.offsets_out_of_range"]


def test_hidden_payload_after_the_last_tensor_is_high(tmp_path: Path) -> None:
    tensors = {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}
    payload = b"\x80\x04\x95" + b"cos\nsystem\n(S'echo hubgate-test'\ntR."
    findings = hubgate_scan_file(
        write_safetensors(tmp_path / "x.safetensors", tensors, bytes(4) + payload)
    )
    assert [(f.code, f.severity) for f in findings] == [
        ("safetensors.trailing_data", Severity.HIGH)
    ]
    assert findings[0].detail["unaccounted_bytes"] == len(payload)


def _many_tensors_header(count: int) -> bytes:
    """A header naming ``count`` one-element F32 tensors laid end to end, built as text."""
    entries = (
        f'"t{i}": {{"dtype": "F32", "shape": [1], "data_offsets": [{4 * i}, {4 * i + 4}]}}'
        for i in range(count)
    )
    return ("{" + ", ".join(entries) + "}").encode()


# Regression (issue 16): duplicate keys were counted with list.count per key, so a
# 60,000-tensor header took over a minute to scan; each of these scans a header that size
# and would take that long again if any check became quadratic in the number of tensors.
MANY = 60_000


def test_a_header_of_sixty_thousand_valid_tensors_is_clean(tmp_path: Path) -> None:
    raw = _many_tensors_header(MANY)
    file = write_safetensors(tmp_path / "x.safetensors", {}, bytes(4 * MANY), raw_header=raw)
    assert scan(file) == []


def test_a_duplicate_key_among_sixty_thousand_tensors_is_found(tmp_path: Path) -> None:
    raw = (
        _many_tensors_header(MANY)[:-1]
        + b', "t7": {"dtype": "U8", "shape": [0], '
        + (f'"data_offsets": [{4 * MANY}, {4 * MANY}]}}}}'.encode())
    )
    findings = hubgate_scan_file(
        write_safetensors(tmp_path / "x.safetensors", {}, bytes(4 * MANY), raw_header=raw)
    )
    assert [f.code for f in findings] == ["safetensors.duplicate_key"]
    assert findings[0].detail["keys"] == ["t7"]


def test_layout_checks_over_sixty_thousand_tensors_report_each_problem(tmp_path: Path) -> None:
    # Every tensor is one element, so the data section is short by one tensor and the last
    # one runs past it; a gap before every 10,000th tensor.
    tensors = {}
    offset = 0
    for i in range(MANY):
        if i and i % 10_000 == 0:
            offset += 4
        tensors[f"t{i}"] = {"dtype": "F32", "shape": [1], "data_offsets": [offset, offset + 4]}
        offset += 4
    file = write_safetensors(tmp_path / "x.safetensors", tensors, bytes(offset - 4))
    codes = scan(file)
    assert codes == ["safetensors.offsets_gap"] * 5 + ["safetensors.offsets_out_of_range"]


def test_a_shape_of_many_huge_dimensions_is_a_mismatch_without_multiplying_it_out(
    tmp_path: Path,
) -> None:
    # The exact product would be a number of over a million digits.
    tensors = {"a": {"dtype": "F32", "shape": [2**62] * 20_000, "data_offsets": [0, 4]}}
    findings = hubgate_scan_file(write_safetensors(tmp_path / "x.safetensors", tensors, bytes(4)))
    assert [f.code for f in findings] == ["safetensors.shape_mismatch"]
    assert "more bytes than any file holds" in findings[0].message


def test_a_zero_dimension_makes_an_empty_tensor_whatever_the_others(tmp_path: Path) -> None:
    tensors = {
        "a": {"dtype": "F32", "shape": [2**62, 2**62, 0], "data_offsets": [0, 0]},
        "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
    }
    assert scan(write_safetensors(tmp_path / "x.safetensors", tensors, bytes(4))) == []
