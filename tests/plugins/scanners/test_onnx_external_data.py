"""The ONNX external-data and custom-operator scanner, on protobuf bytes written by hand."""

import os
import struct
from pathlib import Path

import pytest

from governance.hookspecs import FileToScan, Severity
from plugins.scanners import onnx_external_data
from plugins.scanners.onnx_external_data import hubgate_scan_file

# --- protobuf wire format, by hand ---------------------------------------------------------


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def key(number: int, wire: int) -> bytes:
    return varint(number << 3 | wire)


def vint(number: int, value: int) -> bytes:
    return key(number, 0) + varint(value)


def ld(number: int, payload: bytes) -> bytes:
    return key(number, 2) + varint(len(payload)) + payload


def text(number: int, value: str | bytes) -> bytes:
    return ld(number, value.encode() if isinstance(value, str) else value)


# --- ONNX messages (field numbers from onnx.proto3) ----------------------------------------


def tensor(name: str, *, external: dict | None = None, location_flag: bool = True) -> bytes:
    body = vint(1, 4) + vint(2, 1) + text(8, name)  # dims [4], FLOAT
    if external is None:
        body += ld(9, bytes(16))  # raw_data
        body += key(10, 1) + struct.pack("<d", 1.5)  # an unpacked double_data (fixed64)
    else:
        for k, v in external.items():
            body += ld(13, text(1, k) + text(2, v))
        if location_flag:
            body += vint(14, 1)  # data_location = EXTERNAL
    return body


def attribute(name: str, **fields: bytes) -> bytes:
    numbers = {"t": 5, "g": 6, "tensors": 10, "graphs": 11, "sparse_tensor": 22}
    body = text(1, name) + key(2, 5) + struct.pack("<f", 0.5)  # f (fixed32)
    for field_name, payload in fields.items():
        body += ld(numbers[field_name], payload)
    return body


def node(op: str, *, domain: str = "", attributes: tuple[bytes, ...] = ()) -> bytes:
    body = text(1, "x") + text(2, "y") + text(3, f"{op}_0") + text(4, op)
    body += b"".join(ld(5, a) for a in attributes)
    if domain:
        body += text(7, domain)
    return body


def graph(
    nodes: tuple[bytes, ...] = (), inits: tuple[bytes, ...] = (), sparse: tuple[bytes, ...] = ()
) -> bytes:
    body = b"".join(ld(1, n) for n in nodes) + text(2, "main")
    body += b"".join(ld(5, t) for t in inits)
    body += ld(11, text(1, "x")) + ld(12, text(1, "y"))  # input / output ValueInfoProto
    body += b"".join(ld(15, s) for s in sparse)
    return body


def model(graph_bytes: bytes, *, ir_version: int = 9, extra: bytes = b"") -> bytes:
    opset = ld(8, text(1, "") + vint(2, 17))
    return (
        vint(1, ir_version)
        + text(2, "pytorch")
        + text(3, "2.3.0")
        + ld(7, graph_bytes)
        + opset
        + ld(14, text(1, "author") + text(2, "someone"))
        + extra
    )


def write(tmp_path: Path, content: bytes, name: str = "model.onnx") -> FileToScan:
    path = tmp_path / name
    path.write_bytes(content)
    return FileToScan(path=path, name=name, size=len(content))


def scan(tmp_path: Path, content: bytes) -> list[tuple[str, Severity]] | None:
    findings = hubgate_scan_file(write(tmp_path, content))
    return None if findings is None else sorted((f.code, f.severity) for f in findings)


BENIGN = model(
    graph(
        nodes=(
            node("Add"),
            node("LinearClassifier", domain="ai.onnx.ml"),
            node("Gelu", domain="com.microsoft"),
        ),
        inits=(tensor("w"), tensor("b")),
    )
)


def test_model_with_embedded_weights_and_standard_operators_is_clean(tmp_path: Path) -> None:
    assert scan(tmp_path, BENIGN) == []


def test_content_is_recognised_whatever_the_name(tmp_path: Path) -> None:
    findings = hubgate_scan_file(write(tmp_path, BENIGN, name="weights.bin"))
    assert findings == []


@pytest.mark.parametrize(
    "content",
    [
        b"",
        os.urandom(4096),
        b"\x80\x02}q\x00.",
        b"PK\x03\x04" + bytes(100),
        struct.pack("<Q", 2) + b"{}",
        vint(1, 9) + text(2, "no graph here"),
        vint(1, 9) + vint(7, 3),  # graph with the wrong wire type
        text(7, graph()),  # no ir_version
        vint(1, 9) + key(3, 3) + key(3, 4) + ld(7, graph()),  # a group at the top level
        b"\xff" * 11,  # a varint longer than 10 bytes
    ],
    ids=[
        "empty",
        "random",
        "pickle",
        "zip",
        "safetensors",
        "no_graph",
        "graph_not_a_message",
        "no_ir_version",
        "group",
        "overlong_varint",
    ],
)
def test_files_that_do_not_parse_as_a_model_are_not_its_business(
    tmp_path: Path, content: bytes
) -> None:
    assert scan(tmp_path, content) is None


@pytest.mark.parametrize("cut", [30, 60, len(BENIGN) // 2])
def test_truncated_model_is_high(tmp_path: Path, cut: int) -> None:
    assert scan(tmp_path, BENIGN[:cut]) == [("onnx.truncated", Severity.HIGH)]


def test_graph_field_claiming_more_bytes_than_the_file_is_high(tmp_path: Path) -> None:
    content = vint(1, 9) + key(7, 2) + varint(2**60) + b"\x0a\x00"
    assert scan(tmp_path, content) == [("onnx.truncated", Severity.HIGH)]


def test_invalid_wire_type_inside_the_graph_is_malformed(tmp_path: Path) -> None:
    content = model(graph(nodes=(node("Add"),)) + key(99, 3) + key(99, 4))
    assert scan(tmp_path, content) == [("onnx.malformed", Severity.HIGH)]


def test_external_data_in_the_model_directory_is_info(tmp_path: Path) -> None:
    ext = {"location": "weights.bin", "offset": "0", "length": "16"}
    content = model(graph(inits=(tensor("w", external=ext), tensor("b", external=ext))))
    findings = hubgate_scan_file(write(tmp_path, content))
    assert [(f.code, f.severity) for f in findings] == [("onnx.external_data", Severity.INFO)]
    assert findings[0].detail["location"] == "weights.bin"
    assert findings[0].detail["tensors"] == ["w", "b"]


@pytest.mark.parametrize(
    ("location", "code", "severity"),
    [
        ("../../../etc/passwd", "onnx.external_data_traversal", Severity.CRITICAL),
        ("data/../../secrets.bin", "onnx.external_data_traversal", Severity.CRITICAL),
        ("..\\..\\windows\\win.ini", "onnx.external_data_traversal", Severity.CRITICAL),
        ("/etc/shadow", "onnx.external_data_absolute_path", Severity.CRITICAL),
        ("C:\\Windows\\system.ini", "onnx.external_data_absolute_path", Severity.CRITICAL),
        ("\\\\server\\share\\w.bin", "onnx.external_data_absolute_path", Severity.CRITICAL),
        ("/dev/zero", "onnx.external_data_device", Severity.CRITICAL),
        ("/proc/self/environ", "onnx.external_data_device", Severity.CRITICAL),
        ("\\\\.\\PhysicalDrive0", "onnx.external_data_device", Severity.CRITICAL),
        ("weights.bin\x00.txt", "onnx.external_data_invalid_location", Severity.HIGH),
        ("https://example.com/w.bin", "onnx.external_data_invalid_location", Severity.HIGH),
    ],
)
def test_external_data_outside_the_model_directory_is_flagged(
    tmp_path: Path, location: str, code: str, severity: Severity
) -> None:
    content = model(graph(inits=(tensor("w", external={"location": location}),)))
    findings = hubgate_scan_file(write(tmp_path, content))
    flagged = [f for f in findings if f.code != "onnx.external_data"]
    assert [(f.code, f.severity) for f in flagged] == [(code, severity)]
    assert flagged[0].detail["tensor"] == "w"
    assert "onnx.external_data" in [f.code for f in findings]


def test_external_flag_without_a_location_is_high(tmp_path: Path) -> None:
    content = model(graph(inits=(tensor("w", external={"offset": "0"}),)))
    assert scan(tmp_path, content) == [("onnx.external_data_invalid_location", Severity.HIGH)]


def test_non_numeric_offset_is_high(tmp_path: Path) -> None:
    ext = {"location": "w.bin", "offset": "-1", "length": "12abc"}
    content = model(graph(inits=(tensor("w", external=ext),)))
    found = scan(tmp_path, content)
    assert found.count(("onnx.external_data_invalid_location", Severity.HIGH)) == 2


def test_external_data_hidden_in_nested_subgraphs_and_attributes_is_found(tmp_path: Path) -> None:
    evil = tensor("hidden", external={"location": "/etc/passwd"})
    deep = graph(nodes=(node("Constant", attributes=(attribute("value", t=evil),)),))
    then_branch = graph(nodes=(node("If", attributes=(attribute("then_branch", g=deep),)),))
    nodes = (
        node("Loop", attributes=(attribute("body", g=then_branch),)),
        node("Custom", attributes=(attribute("weights", tensors=evil),)),
        node("Scan", attributes=(attribute("bodies", graphs=graph(inits=(evil,))),)),
        node("Constant", attributes=(attribute("sparse", sparse_tensor=ld(1, evil)),)),
    )
    content = model(graph(nodes=nodes, sparse=(ld(1, evil) + ld(2, tensor("idx")),)))
    findings = hubgate_scan_file(write(tmp_path, content))
    paths = sorted(
        f.detail["graph_path"] for f in findings if f.code == "onnx.external_data_absolute_path"
    )
    assert paths == [
        "graph",
        "graph/Constant",
        "graph/Custom",
        "graph/Loop/If/Constant",
        "graph/Scan",
    ]


def test_training_graphs_and_functions_are_walked(tmp_path: Path) -> None:
    evil = tensor("t", external={"location": "../x"})
    training = ld(20, ld(1, graph(inits=(evil,))) + ld(2, graph()))
    function = ld(25, text(1, "f") + ld(7, node("Mul", domain="my.ops")) + text(10, "local"))
    content = model(graph(nodes=(node("f", domain="local"),)), extra=training + function)
    assert scan(tmp_path, content) == [
        ("onnx.custom_operator_domain", Severity.MEDIUM),
        ("onnx.external_data", Severity.INFO),
        ("onnx.external_data_traversal", Severity.CRITICAL),
    ]


def test_custom_operator_domain_is_medium_once_per_domain(tmp_path: Path) -> None:
    nodes = (
        node("Fused", domain="com.acme"),
        node("Other", domain="com.acme"),
        node("Add"),
        node("Add", domain="ai.onnx"),
        node("Adam", domain="ai.onnx.preview.training"),
    )
    findings = hubgate_scan_file(write(tmp_path, model(graph(nodes=nodes))))
    assert [(f.code, f.severity) for f in findings] == [
        ("onnx.custom_operator_domain", Severity.MEDIUM)
    ]
    assert findings[0].detail == {"domain": "com.acme", "op_types": ["Fused", "Other"]}


def test_subgraphs_nested_too_deep_are_high(tmp_path: Path) -> None:
    g = graph()
    for _ in range(40):
        g = graph(nodes=(node("If", attributes=(attribute("then_branch", g=g),)),))
    assert scan(tmp_path, model(g)) == [("onnx.too_complex", Severity.HIGH)]


def test_field_budget_stops_a_model_too_large_to_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(onnx_external_data, "MAX_FIELDS", 40)
    nodes = tuple(node("Add") for _ in range(20))
    assert scan(tmp_path, model(graph(nodes=nodes))) == [("onnx.too_complex", Severity.HIGH)]


def test_random_bytes_inside_a_valid_envelope_never_raise(tmp_path: Path) -> None:
    for i in range(200):
        content = vint(1, 9) + ld(7, os.urandom(i * 13 % 400))
        findings = hubgate_scan_file(write(tmp_path, content, name=f"r{i}.onnx"))
        assert findings is None or all(f.code.startswith("onnx.") for f in findings)
