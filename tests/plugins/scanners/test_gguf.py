"""The GGUF validator, on files each test packs itself with struct."""

import os
import struct
from pathlib import Path

import pytest

from governance.hookspecs import FileToScan, Severity
from plugins.scanners.gguf import hubgate_scan_file

UINT8, UINT32, FLOAT32, STRING, ARRAY, UINT64 = 0, 4, 6, 8, 9, 10
F32, F16, Q4_K, Q8_0, BF16, IQ4_XS, TQ2_0 = 0, 1, 12, 8, 30, 23, 35


class Gguf:
    """A GGUF writer just good enough to build valid and broken files."""

    def __init__(self, version: int = 3, endian: str = "<") -> None:
        self.version = version
        self.e = endian
        self.kvs: list[bytes] = []
        self.infos: list[bytes] = []
        self.counts: tuple[int, int] | None = None

    def n(self, value: int) -> bytes:
        return struct.pack(self.e + ("I" if self.version == 1 else "Q"), value)

    def s(self, text: str | bytes) -> bytes:
        raw = text.encode() if isinstance(text, str) else text
        return self.n(len(raw)) + raw

    def kv(self, key: str, value_type: int, payload: bytes) -> "Gguf":
        self.kvs.append(self.s(key) + struct.pack(self.e + "I", value_type) + payload)
        return self

    def string(self, key: str, value: str | bytes) -> "Gguf":
        return self.kv(key, STRING, self.s(value))

    def u32(self, key: str, value: int) -> "Gguf":
        return self.kv(key, UINT32, struct.pack(self.e + "I", value))

    def strings(self, key: str, values: list[str]) -> "Gguf":
        items = b"".join(self.s(v) for v in values)
        return self.kv(key, ARRAY, struct.pack(self.e + "I", STRING) + self.n(len(values)) + items)

    def tensor(self, name: str | bytes, dims: list[int], ggml_type: int, offset: int) -> "Gguf":
        raw = self.s(name) + struct.pack(self.e + "I", len(dims))
        raw += b"".join(self.n(d) for d in dims)
        self.infos.append(raw + struct.pack(self.e + "IQ", ggml_type, offset))
        return self

    def build(self, data: bytes = b"", alignment: int = 32, pad: bool = True) -> bytes:
        tensors, kvs = self.counts or (len(self.infos), len(self.kvs))
        head = b"GGUF" + struct.pack(self.e + "I", self.version) + self.n(tensors) + self.n(kvs)
        head += b"".join(self.kvs) + b"".join(self.infos)
        padding = -len(head) % alignment if self.infos and pad else 0
        return head + bytes(padding) + data

    def write(self, path: Path, data: bytes = b"", alignment: int = 32) -> FileToScan:
        path.write_bytes(self.build(data, alignment))
        return FileToScan(path=path, name=path.name, size=path.stat().st_size)


def codes(file: FileToScan) -> list[str] | None:
    findings = hubgate_scan_file(file)
    return None if findings is None else sorted(f.code for f in findings)


def raw_file(tmp_path: Path, content: bytes, name: str = "model.gguf") -> FileToScan:
    path = tmp_path / name
    path.write_bytes(content)
    return FileToScan(path=path, name=name, size=len(content))


CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
LLAMA3_LIKE = (
    "{%- set ns = namespace(found=false) -%}{{- bos_token }}{%- if not date_string is defined %}"
    "{%- set date_string = strftime_now('%d %b %Y') %}{%- endif %}"
    "{%- for message in messages %}{%- if message['role'] not in ['user', 'assistant'] %}"
    "{{- raise_exception('Roles must be user or assistant') }}{%- endif %}"
    "{%- if loop.first %}{{- 'Describe yourself. <__media__>' }}{%- endif %}"
    "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' }}"
    "{{- message['content'] | trim }}{{- message.tool_calls | tojson }}{%- endfor %}"
)


def good_model(builder: Gguf | None = None) -> Gguf:
    g = builder or Gguf()
    g.string("general.architecture", "llama").u32("general.alignment", 32)
    g.strings("tokenizer.ggml.tokens", ["<s>", "</s>", "hello"])
    g.string("tokenizer.chat_template", CHATML)
    g.string("tokenizer.chat_template.rag", LLAMA3_LIKE)
    # 8 F32 (32 bytes), 256 Q4_K (144 bytes), 32 Q8_0 (34 bytes), 256 IQ4_XS, 256 TQ2_0
    g.tensor("a.weight", [8], F32, 0).tensor("b.weight", [256], Q4_K, 32)
    g.tensor("c.weight", [32], Q8_0, 192).tensor("d.weight", [256], IQ4_XS, 256)
    g.tensor("e.weight", [256], TQ2_0, 416)
    return g


GOOD_DATA = bytes(416 + 66)


def test_valid_file_has_no_findings(tmp_path: Path) -> None:
    assert codes(good_model().write(tmp_path / "m.gguf", GOOD_DATA)) == []


def test_version_1_with_32_bit_counts_is_read(tmp_path: Path) -> None:
    g = Gguf(version=1).string("general.name", "old").tensor("w", [4], F32, 0)
    assert codes(g.write(tmp_path / "m.gguf", bytes(16))) == []


def test_big_endian_file_is_read(tmp_path: Path) -> None:
    g = Gguf(endian=">").string("general.name", "s390x").tensor("w", [4, 2], F16, 0)
    assert codes(g.write(tmp_path / "m.gguf", bytes(16))) == []


def test_vocabulary_only_file_without_tensors_or_padding_is_clean(tmp_path: Path) -> None:
    g = Gguf().strings("tokenizer.ggml.tokens", ["a", "b"])
    assert codes(g.write(tmp_path / "vocab.gguf")) == []


def test_content_is_recognised_whatever_the_name(tmp_path: Path) -> None:
    assert codes(good_model().write(tmp_path / "weights.bin", GOOD_DATA)) == []


@pytest.mark.parametrize(
    "content",
    [b"", b"GGU", os.urandom(4096), b"\x80\x02}q\x00.", b"PK\x03\x04" + bytes(40)],
    ids=["empty", "short", "random", "pickle", "zip"],
)
def test_files_that_are_not_gguf_are_not_its_business(tmp_path: Path, content: bytes) -> None:
    assert codes(raw_file(tmp_path, content)) is None


def test_unknown_version_is_high(tmp_path: Path) -> None:
    findings = hubgate_scan_file(raw_file(tmp_path, b"GGUF" + struct.pack("<IQQ", 9, 0, 0)))
    assert [(f.code, f.severity) for f in findings] == [("gguf.unsupported_version", Severity.HIGH)]


@pytest.mark.parametrize("cut", [4, 6, 12, 30, 200])
def test_truncated_header_is_high_never_an_exception(tmp_path: Path, cut: int) -> None:
    content = good_model().build(GOOD_DATA)[:cut]
    findings = hubgate_scan_file(raw_file(tmp_path, content))
    assert findings
    assert any(f.severity is Severity.HIGH for f in findings), [f.code for f in findings]


@pytest.mark.parametrize(
    "counts",
    [(2**63, 0), (0, 2**40), (10_000, 10_000)],
    ids=["tensors", "kvs", "too_many_for_file"],
)
def test_counts_the_file_cannot_hold_are_refused_before_walking(tmp_path: Path, counts) -> None:
    g = Gguf()
    g.counts = counts
    assert codes(g.write(tmp_path / "m.gguf")) == ["gguf.counts_implausible"]


def test_string_longer_than_the_file_is_high(tmp_path: Path) -> None:
    g = Gguf()
    g.kv("general.name", STRING, g.n(2**62) + b"abc")
    assert codes(g.write(tmp_path / "m.gguf")) == ["gguf.string_out_of_bounds"]


def test_huge_key_length_is_refused(tmp_path: Path) -> None:
    g = Gguf()
    g.kvs.append(g.n(2**40) + bytes(64))
    assert codes(g.write(tmp_path / "m.gguf")) == ["gguf.string_out_of_bounds"]


def test_array_longer_than_the_file_is_high(tmp_path: Path) -> None:
    g = Gguf()
    g.kv("tokenizer.ggml.scores", ARRAY, struct.pack("<I", FLOAT32) + g.n(2**40) + bytes(8))
    assert codes(g.write(tmp_path / "m.gguf")) == ["gguf.array_out_of_bounds"]


def test_string_array_claiming_more_items_than_fit_is_high(tmp_path: Path) -> None:
    g = Gguf()
    g.kv("tokenizer.ggml.tokens", ARRAY, struct.pack("<I", STRING) + g.n(10**9) + bytes(64))
    assert codes(g.write(tmp_path / "m.gguf")) == ["gguf.array_out_of_bounds"]


def test_invalid_value_type_is_high(tmp_path: Path) -> None:
    g = Gguf().kv("general.name", 13, b"x" * 16)
    findings = hubgate_scan_file(g.write(tmp_path / "m.gguf"))
    assert [(f.code, f.detail["value_type"]) for f in findings] == [("gguf.invalid_value_type", 13)]


def test_invalid_array_item_type_is_high(tmp_path: Path) -> None:
    g = Gguf()
    g.kv("x", ARRAY, struct.pack("<I", 99) + g.n(1) + bytes(8))
    assert codes(g.write(tmp_path / "m.gguf")) == ["gguf.invalid_value_type"]


def test_arrays_of_arrays_are_read_but_deeper_nesting_is_refused(tmp_path: Path) -> None:
    g = Gguf()
    inner = struct.pack("<I", UINT8) + g.n(2) + b"\x01\x02"
    g.kv("ok", ARRAY, struct.pack("<I", ARRAY) + g.n(1) + inner)
    assert codes(g.write(tmp_path / "ok.gguf")) == []
    deep = Gguf()
    level = struct.pack("<I", UINT8) + deep.n(0)
    for _ in range(5):
        level = struct.pack("<I", ARRAY) + deep.n(1) + level
    deep.kv("deep", ARRAY, level)
    assert codes(deep.write(tmp_path / "deep.gguf")) == ["gguf.array_nesting_too_deep"]


@pytest.mark.parametrize("alignment", [0, 3, 48, 2**31])
def test_alignment_must_be_a_power_of_two(tmp_path: Path, alignment: int) -> None:
    g = Gguf().u32("general.alignment", alignment).tensor("w", [8], F32, 0)
    assert codes(g.write(tmp_path / "m.gguf", bytes(32))) == ["gguf.invalid_alignment"]


def test_alignment_of_the_wrong_type_is_high(tmp_path: Path) -> None:
    g = Gguf().string("general.alignment", "32")
    assert codes(g.write(tmp_path / "m.gguf")) == ["gguf.invalid_alignment"]


def test_duplicate_metadata_key_is_high(tmp_path: Path) -> None:
    g = Gguf().string("general.name", "a").string("general.name", "b")
    assert codes(g.write(tmp_path / "m.gguf")) == ["gguf.duplicate_key"]


def test_more_than_four_dimensions_is_high(tmp_path: Path) -> None:
    g = Gguf().tensor("w", [1, 1, 1, 1, 1], F32, 0)
    assert codes(g.write(tmp_path / "m.gguf", bytes(32))) == ["gguf.too_many_dims"]


def test_zero_dimension_is_high(tmp_path: Path) -> None:
    g = Gguf().tensor("w", [4, 0], F32, 0)
    assert codes(g.write(tmp_path / "m.gguf", bytes(32))) == ["gguf.invalid_dims"]


def test_dimensions_whose_product_overflows_are_high(tmp_path: Path) -> None:
    g = Gguf().tensor("w", [2**32, 2**32], F32, 0)
    assert codes(g.write(tmp_path / "m.gguf", bytes(32))) == ["gguf.dims_overflow"]


def test_unknown_ggml_type_is_medium(tmp_path: Path) -> None:
    g = Gguf().tensor("w", [8], 4, 0)  # Q4_2, removed from ggml long ago
    findings = hubgate_scan_file(g.write(tmp_path / "m.gguf", bytes(32)))
    assert [(f.code, f.severity) for f in findings] == [
        ("gguf.unknown_tensor_type", Severity.MEDIUM)
    ]


def test_row_not_a_multiple_of_the_block_is_high(tmp_path: Path) -> None:
    g = Gguf().tensor("w", [100], Q4_K, 0)
    assert codes(g.write(tmp_path / "m.gguf", bytes(144))) == ["gguf.tensor_shape_invalid"]


def test_overlong_tensor_name_is_high(tmp_path: Path) -> None:
    g = Gguf().tensor("n" * 64, [8], F32, 0)
    assert codes(g.write(tmp_path / "m.gguf", bytes(32))) == ["gguf.tensor_name_too_long"]


def test_duplicate_tensor_is_high(tmp_path: Path) -> None:
    g = Gguf().tensor("w", [8], F32, 0).tensor("w", [8], F32, 32)
    assert codes(g.write(tmp_path / "m.gguf", bytes(64))) == ["gguf.duplicate_tensor"]


def test_misaligned_tensor_offset_is_high(tmp_path: Path) -> None:
    g = Gguf().tensor("a", [2], F32, 0).tensor("b", [8], BF16, 8)
    assert "gguf.tensor_misaligned" in codes(g.write(tmp_path / "m.gguf", bytes(64)))


def test_tensor_past_the_end_of_the_file_is_high(tmp_path: Path) -> None:
    g = Gguf().tensor("a", [8], F32, 0).tensor("b", [1024], F32, 2**40)
    found = codes(g.write(tmp_path / "m.gguf", bytes(32)))
    assert found == ["gguf.tensor_out_of_bounds"]


def test_tensor_running_off_the_end_is_high(tmp_path: Path) -> None:
    g = Gguf().tensor("a", [64], F32, 0)
    assert codes(g.write(tmp_path / "m.gguf", bytes(100))) == ["gguf.tensor_out_of_bounds"]


def test_data_section_past_the_end_of_the_file_is_high(tmp_path: Path) -> None:
    g = Gguf().string("general.name", "x").tensor("a", [8], F32, 0)
    assert len(g.build(pad=False)) % 32  # the tensor table does not end on the alignment
    assert codes(raw_file(tmp_path, g.build(pad=False))) == ["gguf.data_out_of_bounds"]


def test_overlapping_tensors_are_high(tmp_path: Path) -> None:
    g = Gguf().tensor("a", [16], F32, 0).tensor("b", [16], F32, 32)
    assert codes(g.write(tmp_path / "m.gguf", bytes(96))) == ["gguf.tensors_overlap"]


def test_gap_and_trailing_bytes_are_medium(tmp_path: Path) -> None:
    g = Gguf().tensor("a", [8], F32, 64)
    findings = hubgate_scan_file(g.write(tmp_path / "m.gguf", bytes(96) + b"payload!" * 8))
    assert sorted((f.code, f.severity) for f in findings) == [
        ("gguf.data_gap", Severity.MEDIUM),
        ("gguf.trailing_data", Severity.MEDIUM),
    ]


def test_benign_chat_templates_pass(tmp_path: Path) -> None:
    g = Gguf().string("tokenizer.chat_template", CHATML)
    g.string("tokenizer.chat_template.tool_use", LLAMA3_LIKE)
    g.strings("tokenizer.chat_templates", ["tool_use"])
    assert codes(g.write(tmp_path / "m.gguf")) == []


# CVE-2024-34359 and the usual Jinja sandbox escapes, a few of them obfuscated.
SSTI = {
    "cve_2024_34359": (
        "{% for x in ().__class__.__base__.__subclasses__() %}{% if 'warning' in x.__name__ %}"
        "{{ x()._module.__builtins__['__import__']('os').popen('touch /tmp/x') }}{% endif %}"
        "{% endfor %}",
        "__class__",
    ),
    "lipsum_globals": ("{{ lipsum.__globals__['os'].popen('id').read() }}", "lipsum"),
    "cycler": ("{{ cycler.__init__.__globals__.os.popen('id').read() }}", "cycler"),
    "joiner": ("{{ joiner.__init__.__globals__.os.popen('id').read() }}", "joiner"),
    "namespace_init": ("{{ namespace.__init__.__globals__ }}", "namespace.__init__"),
    "template_reference": ("{{ self._TemplateReference__context.cycler }}", "self._"),
    "attr_hex_escapes": ('{{ ()|attr("\\x5f\\x5fclass\\x5f\\x5f") }}', "|attr"),
    "split_string": ('{{ ()["__cla" ~ "ss__"]["__ba" + "se__"] }}', "__class__"),
    "joined_list": ('{{ ()[["__cl","ass__"]|join] }}', "__class__"),
    "octal_escape": ("{{ ()['\\137\\137class\\137\\137'] }}", "__class__"),
    "eval": ("{{ eval('1+1') }}", "eval("),
    "subprocess": ("{{ x.subprocess }}", "subprocess"),
}


@pytest.mark.parametrize(("template", "gadget"), SSTI.values(), ids=SSTI.keys())
def test_chat_template_injection_is_critical_with_the_gadget(
    tmp_path: Path, template: str, gadget: str
) -> None:
    g = Gguf().string("general.name", "x").string("tokenizer.chat_template", template)
    findings = hubgate_scan_file(g.write(tmp_path / "m.gguf"))
    assert [(f.code, f.severity) for f in findings] == [
        ("gguf.chat_template_injection", Severity.CRITICAL)
    ]
    detail = findings[0].detail
    assert detail["key"] == "tokenizer.chat_template"
    assert any(gadget in found for found in detail["gadgets"]), detail["gadgets"]
    assert detail["gadget"] == detail["gadgets"][0]


def test_named_chat_templates_are_checked_too(tmp_path: Path) -> None:
    g = Gguf().string("tokenizer.chat_template", CHATML)
    g.string("tokenizer.chat_template.tool_use", SSTI["lipsum_globals"][0])
    findings = hubgate_scan_file(g.write(tmp_path / "m.gguf"))
    assert [f.detail["key"] for f in findings] == ["tokenizer.chat_template.tool_use"]


def test_chat_template_too_large_to_check_is_high(tmp_path: Path) -> None:
    g = Gguf().string("tokenizer.chat_template", "{{ x }}" * 200_000)
    assert codes(g.write(tmp_path / "m.gguf")) == ["gguf.chat_template_too_large"]


def test_chat_template_that_is_not_a_string_is_medium(tmp_path: Path) -> None:
    g = Gguf().u32("tokenizer.chat_template", 7)
    assert codes(g.write(tmp_path / "m.gguf")) == ["gguf.chat_template_not_string"]


def test_template_injection_and_broken_layout_are_both_reported(tmp_path: Path) -> None:
    g = Gguf().string("tokenizer.chat_template", SSTI["cycler"][0]).tensor("a", [64], F32, 0)
    assert codes(g.write(tmp_path / "m.gguf", bytes(32))) == [
        "gguf.chat_template_injection",
        "gguf.tensor_out_of_bounds",
    ]


def test_many_findings_of_one_kind_are_capped(tmp_path: Path) -> None:
    g = Gguf()
    for i in range(30):
        g.tensor(f"t{i}", [8], 4, 0)
    findings = hubgate_scan_file(g.write(tmp_path / "m.gguf", bytes(32)))
    assert [f.code for f in findings].count("gguf.unknown_tensor_type") == 20
    assert findings[-1].code == "gguf.more_findings"
    assert findings[-1].detail["not_listed"] == 10


def test_random_bytes_after_the_magic_never_raise(tmp_path: Path) -> None:
    for i in range(200):
        content = b"GGUF" + struct.pack("<I", 3) + os.urandom(i * 7 % 300)
        findings = hubgate_scan_file(raw_file(tmp_path, content, f"r{i}.gguf"))
        assert findings is not None
