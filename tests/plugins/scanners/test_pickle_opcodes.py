"""The pickle opcode scanner, on a corpus each test builds itself and nothing ever unpickles."""

import io
import json
import os
import pickle
import random
import struct
import tarfile
import zipfile
from collections import OrderedDict
from pathlib import Path

import pytest

from governance.hookspecs import FileToScan, Finding, Severity
from plugins.scanners import pickle_opcodes
from plugins.scanners.pickle_opcodes import _opcodes, _reader, _rules, hubgate_scan_file
from tests.plugins.scanners.pickle_corpus import (
    BUILD,
    DUP,
    EMPTY_DICT,
    EMPTY_TUPLE,
    MARK,
    MEMOIZE,
    POP,
    REDUCE,
    SETITEM,
    STACK_GLOBAL,
    STOP,
    TUPLE,
    TUPLE1,
    binget,
    binput,
    call_system,
    glob,
    inst,
    legacy_torch_file,
    legacy_torch_tar,
    make_tar,
    make_zip,
    npy,
    patch_zip_headers,
    patch_zip_local_name,
    payload,
    proto,
    state_dict_pickle,
    text,
    torch_zip,
    write,
)

_RNG = random.Random(20261126)


@pytest.fixture(autouse=True)
def default_configuration():
    pickle_opcodes.hubgate_settings.apply({})
    yield
    pickle_opcodes.hubgate_settings.apply({})


def scan(file: FileToScan) -> list[tuple[str, str, str | None]] | None:
    findings = hubgate_scan_file(file)
    if findings is None:
        return None
    return sorted((f.code, f.severity.value, f.member) for f in findings)


def only(findings: list[Finding] | None, code: str) -> list[Finding]:
    return [f for f in findings or [] if f.code == code]


def system_call(findings: list[Finding] | None, member: str | None = None) -> Finding:
    """The finding for os.system (pickled as posix.system on Linux) in ``member``."""
    hits = [
        f
        for f in only(findings, "pickle.dangerous_global")
        if f.member == member and f.detail["name"] == "system"
    ]
    assert len(hits) == 1, findings
    assert hits[0].severity is Severity.CRITICAL
    return hits[0]


# --- Clean files -------------------------------------------------------------------------------


def test_torch_state_dict_in_the_zip_format_has_no_findings(tmp_path: Path) -> None:
    file = write(tmp_path, "model.pt", torch_zip(state_dict_pickle()))
    assert hubgate_scan_file(file) == []


def test_torch_state_dict_in_the_legacy_formats_has_no_findings(tmp_path: Path) -> None:
    assert hubgate_scan_file(write(tmp_path, "a.pt", legacy_torch_file(state_dict_pickle()))) == []
    assert hubgate_scan_file(write(tmp_path, "b.pt", legacy_torch_tar(state_dict_pickle()))) == []


@pytest.mark.parametrize("protocol", range(6))
def test_ordinary_python_data_needs_only_allowed_globals(tmp_path: Path, protocol: int) -> None:
    data = {
        "numbers": [1, 2.5, -3, 2**70, 1 + 2j, None, True],
        "text": "line\nbreak \\ \u00e9",
        "bytes": [b"", b"raw\n", bytearray(b"ba")],
        "sets": ({1, 2}, frozenset({3})),
        "ordered": OrderedDict(a=1),
        "ranges": (slice(1, 2), range(3)),
        "big": ("z" * 10_000, b"q" * 100_000),
    }
    file = write(tmp_path, "data.pkl", pickle.dumps(data, protocol=protocol))
    assert hubgate_scan_file(file) == []


@pytest.mark.parametrize(
    "content",
    # Seeded, not os.urandom: random bytes can by chance open like a pickle, and a test
    # must not depend on luck.
    [b"", b"\x80", b"\x80\x02}q\x00", _RNG.randbytes(4096), b"hello world\n", b'{"a": 1}'],
    ids=["empty", "one-byte", "truncated-without-globals", "random", "text", "json"],
)
def test_files_without_a_pickle_are_not_its_business(tmp_path: Path, content: bytes) -> None:
    assert hubgate_scan_file(write(tmp_path, "blob.bin", content)) is None


def test_real_safetensors_and_gguf_files_are_not_its_business(tmp_path: Path) -> None:
    header = json.dumps({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    safetensors = struct.pack("<Q", len(header)) + header + struct.pack("<2f", 1.0, 2.0)
    gguf = b"GGUF" + struct.pack("<IQQ", 3, 0, 0)
    assert hubgate_scan_file(write(tmp_path, "m.safetensors", safetensors)) is None
    assert hubgate_scan_file(write(tmp_path, "m.gguf", gguf)) is None


def test_numpy_array_without_objects_is_not_its_business(tmp_path: Path) -> None:
    data = npy("<f4", struct.pack("<3f", 1, 2, 3), shape="(3,)")
    assert hubgate_scan_file(write(tmp_path, "a.npy", data)) is None


# --- A payload in every container --------------------------------------------------------------


@pytest.mark.parametrize("protocol", range(6))
def test_payload_in_a_raw_pickle_of_any_protocol_is_critical(tmp_path: Path, protocol) -> None:
    findings = hubgate_scan_file(write(tmp_path, "x.pkl", payload(protocol)))
    finding = system_call(findings)
    assert finding.detail["module"] in ("posix", "nt")
    assert finding.detail["called_by"] == ["REDUCE"]
    assert finding.detail["offset"] >= 0
    assert [f.code for f in findings] == ["pickle.dangerous_global"]


def test_payload_in_the_torch_zip_pickle(tmp_path: Path) -> None:
    findings = hubgate_scan_file(write(tmp_path, "model.pt", torch_zip(payload(2))))
    system_call(findings, "archive/data.pkl")


@pytest.mark.parametrize("name", ["archive/weights.bin", "config.json", "README"])
@pytest.mark.parametrize("protocol", [0, 1, 2])
def test_pickle_member_is_found_by_content_whatever_its_name(tmp_path, name, protocol) -> None:
    data = make_zip([("archive/data.pkl", state_dict_pickle()), (name, payload(protocol))])
    findings = hubgate_scan_file(write(tmp_path, "model.zip", data))
    system_call(findings, name)


def test_payload_in_a_zip_nested_in_a_zip_names_the_path(tmp_path: Path) -> None:
    inner = make_zip([("data.pkl", payload(4))], zipfile.ZIP_DEFLATED)
    outer = make_zip([("inner.zip", inner)], zipfile.ZIP_DEFLATED)
    findings = hubgate_scan_file(write(tmp_path, "outer.zip", outer))
    system_call(findings, "inner.zip!data.pkl")


def test_payload_in_a_tar_inside_a_zip(tmp_path: Path) -> None:
    tar = make_tar([("weights/x.bin", payload(3))])
    findings = hubgate_scan_file(write(tmp_path, "m.zip", make_zip([("bundle.tar", tar)])))
    system_call(findings, "bundle.tar!weights/x.bin")


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_compressed_zip_members_are_decompressed(tmp_path: Path, compression: int) -> None:
    data = make_zip([("archive/data.pkl", payload(2))], compression)
    system_call(hubgate_scan_file(write(tmp_path, "m.pt", data)), "archive/data.pkl")


def test_payload_in_an_object_npy(tmp_path: Path) -> None:
    findings = hubgate_scan_file(write(tmp_path, "a.npy", npy("|O", payload(3))))
    system_call(findings)


def test_payload_in_an_object_array_of_an_npz(tmp_path: Path) -> None:
    data = make_zip(
        [("ok.npy", npy("<f4", bytes(4))), ("arr_1.npy", npy("|O", payload(3)))],
        zipfile.ZIP_DEFLATED,
    )
    system_call(hubgate_scan_file(write(tmp_path, "arrays.npz", data)), "arr_1.npy")


def test_structured_npy_with_an_object_field_is_scanned(tmp_path: Path) -> None:
    data = npy([("a", "<i4"), ("b", "|O")], payload(3))
    system_call(hubgate_scan_file(write(tmp_path, "s.npy", data)))


def test_payload_in_the_legacy_torch_tar(tmp_path: Path) -> None:
    findings = hubgate_scan_file(write(tmp_path, "old.pt", legacy_torch_tar(payload(2))))
    system_call(findings, "pickle")


def test_legacy_tar_storages_are_followed_past_raw_tensor_data(tmp_path: Path) -> None:
    # torch unpickles every storage header; the second one comes after raw storage bytes.
    header = payload(2)
    data = legacy_torch_tar(state_dict_pickle(), second_storage_header=header)
    system_call(hubgate_scan_file(write(tmp_path, "old.pt", data)), "storages")


@pytest.mark.parametrize("position", ["magic", "sys_info", "main"])
def test_payload_anywhere_in_the_legacy_pickle_sequence(tmp_path: Path, position: str) -> None:
    if position == "magic":
        data = payload(2) + legacy_torch_file(state_dict_pickle())
    elif position == "sys_info":
        data = legacy_torch_file(state_dict_pickle(), sys_info=payload(2))
    else:
        data = legacy_torch_file(payload(2))
    system_call(hubgate_scan_file(write(tmp_path, "old.pt", data)))


def test_payload_in_a_zip_with_junk_prepended(tmp_path: Path) -> None:
    data = b"JUNK" * 64 + torch_zip(payload(2))
    system_call(hubgate_scan_file(write(tmp_path, "m.bin", data)), "archive/data.pkl")


@pytest.mark.parametrize("wrapper", ["gzip", "bz2", "lzma"])
def test_compressed_pickles_are_decompressed(tmp_path: Path, wrapper: str) -> None:
    module = __import__(wrapper)
    data = module.compress(payload(4))
    system_call(hubgate_scan_file(write(tmp_path, "model.joblib", data)))


# --- Names the unpickler resolves --------------------------------------------------------------


def test_stack_global_names_built_through_the_memo_are_resolved(tmp_path: Path) -> None:
    names = text("os") + binput(0) + POP + text("system") + MEMOIZE + POP
    data = proto(4) + names + call_system(binget(0), binget(1)) + STOP
    findings = hubgate_scan_file(write(tmp_path, "x.pkl", data))
    finding = system_call(findings)
    assert (finding.detail["module"], finding.detail["opcode"]) == ("os", "STACK_GLOBAL")


def test_overwritten_memo_slots_resolve_to_the_last_value(tmp_path: Path) -> None:
    names = (
        text("collections")
        + binput(0)
        + POP
        + text("os")
        + binput(0)
        + POP
        + text("OrderedDict")
        + binput(1)
        + POP
        + text("system")
        + binput(1)
        + POP
    )
    data = proto(4) + names + call_system(binget(0), binget(1)) + STOP
    system_call(hubgate_scan_file(write(tmp_path, "x.pkl", data)))


def test_memo_copies_and_dup_are_followed(tmp_path: Path) -> None:
    names = (
        text("os")
        + DUP
        + binput(0)
        + POP
        + POP
        + binget(0)
        + binput(5)
        + POP
        + text("system")
        + DUP
        + MEMOIZE
        + POP
        + POP  # MEMOIZE fills slot len(memo) == 2
    )
    data = proto(4) + names + call_system(binget(5), binget(2)) + STOP
    system_call(hubgate_scan_file(write(tmp_path, "x.pkl", data)))


def test_text_memo_opcodes_of_protocol_zero_work_in_any_protocol(tmp_path: Path) -> None:
    names = text("os") + b"p7\n" + POP + text("system") + b"r\x08\x00\x00\x00" + POP
    data = proto(4) + names + call_system(b"g7\n", b"j\x08\x00\x00\x00") + STOP
    system_call(hubgate_scan_file(write(tmp_path, "x.pkl", data)))


def test_protocol_zero_inst_is_a_call(tmp_path: Path) -> None:
    data = MARK + b"S'" + b"echo hubgate-test" + b"'\n" + inst("os", "system") + STOP
    finding = system_call(hubgate_scan_file(write(tmp_path, "x.pkl", data)))
    assert finding.detail["called_by"] == ["INST"]
    assert finding.detail["opcode"] == "INST"


def test_names_computed_by_a_call_are_unresolvable_and_high(tmp_path: Path) -> None:
    computed = glob("builtins", "str") + MARK + text("sys") + TUPLE + REDUCE
    data = proto(4) + call_system(computed, text("system")) + STOP
    findings = hubgate_scan_file(write(tmp_path, "x.pkl", data))
    [finding] = only(findings, "pickle.unresolvable_global")
    assert finding.severity is Severity.HIGH
    assert "the result of calling builtins.str" in finding.detail["reason"]
    assert finding.detail["called_by"] == ["REDUCE"]


def test_unresolvable_name_in_a_dangerous_module_is_critical(tmp_path: Path) -> None:
    computed = glob("builtins", "str") + MARK + text("system") + TUPLE + REDUCE
    data = proto(4) + call_system(text("os"), computed) + STOP
    [finding] = only(
        hubgate_scan_file(write(tmp_path, "x.pkl", data)), "pickle.unresolvable_global"
    )
    assert finding.severity is Severity.CRITICAL
    assert finding.detail["module"] == "os"


def test_python2_names_are_mapped_as_the_unpickler_maps_them(tmp_path: Path) -> None:
    data = proto(2) + glob("cPickle", "loads") + text("x") + TUPLE1 + REDUCE + POP
    data += glob("__builtin__", "eval") + POP + glob("copy_reg", "_reconstructor") + STOP
    findings = hubgate_scan_file(write(tmp_path, "x.pkl", data))
    dangerous = {
        (f.detail["module"], f.detail["name"]): f.severity
        for f in only(findings, "pickle.dangerous_global")
    }
    assert dangerous == {
        ("cPickle", "loads"): Severity.CRITICAL,
        ("__builtin__", "eval"): Severity.CRITICAL,
    }
    assert len(findings) == 2


def test_dotted_names_are_judged_by_their_whole_path(tmp_path: Path) -> None:
    data = proto(4) + text("torch") + text("serialization.load") + STACK_GLOBAL + STOP
    [finding] = hubgate_scan_file(write(tmp_path, "x.pkl", data))
    assert (finding.code, finding.severity) == ("pickle.dangerous_global", Severity.CRITICAL)
    assert finding.detail["rule"] == "torch.serialization"


@pytest.mark.parametrize(
    ("module", "name"),
    [("numpy", "ndarray.tofile"), ("collections", "OrderedDict.__init__.__globals__")],
)
def test_attributes_of_allowed_globals_are_high(tmp_path: Path, module: str, name: str) -> None:
    data = proto(4) + text(module) + text(name) + STACK_GLOBAL + STOP
    [finding] = hubgate_scan_file(write(tmp_path, "x.pkl", data))
    assert (finding.code, finding.severity) == ("pickle.dangerous_global", Severity.HIGH)


# --- Severities --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "name", "severity"),
    [
        ("builtins", "exec", Severity.CRITICAL),
        ("builtins", "getattr", Severity.CRITICAL),
        ("subprocess", "Popen", Severity.CRITICAL),
        ("runpy", "_run_code", Severity.CRITICAL),
        ("torch.storage", "_load_from_bytes", Severity.CRITICAL),
        ("numpy.testing._private.utils", "runstring", Severity.CRITICAL),
        ("webbrowser", "open", Severity.CRITICAL),
        ("operator", "attrgetter", Severity.HIGH),
        ("functools", "partial", Severity.HIGH),
        ("_io", "FileIO", Severity.HIGH),
        ("tempfile", "mkdtemp", Severity.MEDIUM),
        # Only on picklescan's list: it is the baseline.
        ("pkgutil", "resolve_name", Severity.CRITICAL),
        ("venv", "create", Severity.CRITICAL),
    ],
)
def test_dangerous_globals_by_severity(tmp_path, module: str, name: str, severity) -> None:
    data = proto(2) + glob(module, name) + text("x") + TUPLE1 + REDUCE + STOP
    [finding] = hubgate_scan_file(write(tmp_path, "x.pkl", data))
    assert (finding.code, finding.severity) == ("pickle.dangerous_global", severity)
    assert finding.detail["called_by"] == ["REDUCE"]


def test_picklescan_deny_list_is_merged_in_whole() -> None:
    from picklescan.scanner import _unsafe_globals

    policy = _rules._Policy([])
    for module, names in _unsafe_globals.items():
        for name in ["anything"] if names == "*" else [names] if isinstance(names, str) else names:
            verdict = policy.classify(module, name)
            assert verdict.kind == "dangerous", (module, name)


def test_unknown_global_is_medium(tmp_path: Path) -> None:
    data = proto(2) + glob("sklearn.linear_model", "LogisticRegression") + EMPTY_TUPLE + REDUCE
    [finding] = hubgate_scan_file(write(tmp_path, "x.pkl", data + STOP))
    assert (finding.code, finding.severity) == ("pickle.unknown_global", Severity.MEDIUM)
    assert finding.detail["module"] == "sklearn.linear_model"


def test_one_finding_per_global_and_member_however_often_it_occurs(tmp_path: Path) -> None:
    call = glob("os", "system") + text("a") + TUPLE1 + REDUCE + POP
    data = proto(2) + call * 3 + glob("os", "system") + STOP
    [finding] = hubgate_scan_file(write(tmp_path, "x.pkl", data))
    assert finding.detail["occurrences"] == 4


def test_configured_extra_safe_globals_are_allowed(tmp_path: Path) -> None:
    data = (
        proto(2)
        + glob("sklearn.linear_model", "LogisticRegression")
        + POP
        + glob("mypkg", "Config")
        + POP
        + glob("mypkg", "Outer.Inner")
        + POP
        + glob("mypkg.sub", "Thing")
        + POP
        + glob("other", "Outer.Inner")
        + STOP
    )
    file = write(tmp_path, "x.pkl", data)
    pickle_opcodes.hubgate_settings.apply(
        {
            "extra_safe_globals": [
                "sklearn.linear_model.LogisticRegression",
                "mypkg.*",
                "other:Outer.Inner",
            ]
        }
    )
    unknown = [(f.detail["module"], f.detail["name"]) for f in hubgate_scan_file(file)]
    # "module.*" allows plain names of exactly that module, not its submodules or attributes.
    assert sorted(unknown) == [("mypkg", "Outer.Inner"), ("mypkg.sub", "Thing")]


def test_extra_safe_globals_cannot_allow_dangerous_ones(tmp_path: Path) -> None:
    pickle_opcodes.hubgate_settings.apply({"extra_safe_globals": ["os.system", "posix.*"]})
    system_call(hubgate_scan_file(write(tmp_path, "x.pkl", payload(2))))


@pytest.mark.parametrize(
    "config",
    [
        {"max_depth": -1},
        {"max_opcodes": 0},
        {"max_stream_bytes": True},
        {"max_members": "many"},
        {"extra_safe_globals": "os.system"},
        {"extra_safe_globals": ["os"]},
        {"extra_safe_globals": ["bad name.x"]},
        {"picklescan_cross_check": "yes"},
        {"max_bytes": 10},
    ],
)
def test_invalid_configuration_is_rejected(config) -> None:
    with pytest.raises(ValueError):
        pickle_opcodes.hubgate_settings.apply(config)


# --- Broken pickles ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-1],
        lambda data: data[:-1] + b"\xff\xfe garbage",
        lambda data: data[:-1] + b"X\xff\xff\xff\x7f",
    ],
    ids=["truncated", "garbage-after", "length-past-the-end"],
)
def test_payload_before_a_parse_error_is_reported_with_the_error(tmp_path, damage) -> None:
    data = damage(payload(2))
    findings = hubgate_scan_file(write(tmp_path, "x.pkl", data))
    system_call(findings)
    [error] = only(findings, "pickle.parse_error")
    assert error.severity is Severity.HIGH
    assert error.detail["offset"] == len(payload(2)) - 1


def test_stack_underflow_is_a_parse_error_and_the_walk_goes_on(tmp_path: Path) -> None:
    data = proto(2) + POP + glob("os", "system") + STOP
    findings = hubgate_scan_file(write(tmp_path, "x.pkl", data))
    system_call(findings)
    [error] = only(findings, "pickle.parse_error")
    assert "underflow" in error.detail["error"]


def test_protocol_above_five_is_high(tmp_path: Path) -> None:
    findings = hubgate_scan_file(write(tmp_path, "x.pkl", proto(9) + EMPTY_DICT + STOP))
    [finding] = findings
    assert (finding.code, finding.severity) == ("pickle.unsupported_protocol", Severity.HIGH)
    assert finding.detail["protocol"] == 9


def test_extension_registry_codes_are_high(tmp_path: Path) -> None:
    data = proto(2) + b"\x82\x07" + EMPTY_TUPLE + REDUCE + STOP
    [finding] = hubgate_scan_file(write(tmp_path, "x.pkl", data))
    assert (finding.code, finding.severity) == ("pickle.extension_registry", Severity.HIGH)
    assert finding.detail["extension_code"] == 7


def test_calling_what_a_call_returned_is_high(tmp_path: Path) -> None:
    data = proto(2) + glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE
    data += text("x") + TUPLE1 + REDUCE + STOP
    [finding] = hubgate_scan_file(write(tmp_path, "x.pkl", data))
    assert (finding.code, finding.severity) == ("pickle.indirect_call", Severity.HIGH)


def test_build_on_a_global_itself_is_high(tmp_path: Path) -> None:
    state = EMPTY_DICT + text("__defaults__") + EMPTY_TUPLE + SETITEM
    data = proto(2) + glob("torch._utils", "_rebuild_tensor_v2") + state + BUILD + STOP
    [finding] = hubgate_scan_file(write(tmp_path, "x.pkl", data))
    assert (finding.code, finding.severity) == ("pickle.global_mutation", Severity.HIGH)
    assert finding.detail["mutated_by"] == ["BUILD"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # picklescan's pickletools on garbage
def test_mutated_pickles_never_raise(tmp_path: Path) -> None:
    import random

    rng = random.Random(20240601)
    seeds = [payload(p) for p in range(6)] + [torch_zip(state_dict_pickle())]
    path = tmp_path / "fuzz.bin"
    for _ in range(300):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 6)):
            at = rng.randrange(len(data))
            if rng.random() < 0.5:
                data[at] = rng.randrange(256)
            else:
                del data[at : at + rng.randint(1, 8)]
        path.write_bytes(bytes(data))
        result = hubgate_scan_file(FileToScan(path=path, name="fuzz.bin", size=len(data)))
        assert result is None or all(isinstance(f, Finding) for f in result)


# --- Zip tricks --------------------------------------------------------------------------------


def test_zip_local_and_central_names_that_differ(tmp_path: Path) -> None:
    data = patch_zip_local_name(torch_zip(payload(2)), "archive/data.pkl", "archive/data.txt")
    findings = hubgate_scan_file(write(tmp_path, "m.pt", data))
    [mismatch] = only(findings, "pickle.zip_name_mismatch")
    assert mismatch.severity is Severity.HIGH
    assert mismatch.detail == {"central_name": "archive/data.pkl", "local_name": "archive/data.txt"}
    system_call(findings, "archive/data.pkl")


def test_duplicate_member_names_are_all_scanned(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        data = make_zip(
            [("archive/data.pkl", payload(2)), ("archive/data.pkl", state_dict_pickle())]
        )
    findings = hubgate_scan_file(write(tmp_path, "m.pt", data))
    [duplicate] = only(findings, "pickle.duplicate_member")
    assert (duplicate.severity, duplicate.member) == (Severity.HIGH, "archive/data.pkl")
    system_call(findings, "archive/data.pkl")


def test_encrypted_member_cannot_be_scanned_and_says_so(tmp_path: Path) -> None:
    encrypted = _RNG.randbytes(212)  # what ZipCrypto leaves: a 12-byte header, then ciphertext
    data = patch_zip_headers(make_zip([("archive/data.pkl", encrypted)]), flag_bits=0x1)
    assert scan(write(tmp_path, "m.pt", data)) == [
        ("pickle.encrypted_member", "high", "archive/data.pkl")
    ]


def test_member_flagged_encrypted_but_plain_is_still_scanned(tmp_path: Path) -> None:
    # Lenient readers ignore the flag, so a plain payload behind it must not slip through.
    data = patch_zip_headers(make_zip([("archive/data.pkl", payload(2))]), flag_bits=0x1)
    findings = hubgate_scan_file(write(tmp_path, "m.pt", data))
    system_call(findings, "archive/data.pkl")
    assert only(findings, "pickle.encrypted_member")


def test_unsupported_compression_is_high(tmp_path: Path) -> None:
    data = patch_zip_headers(make_zip([("archive/data.pkl", payload(2))]), method=9)
    findings = hubgate_scan_file(write(tmp_path, "m.pt", data))
    assert [(f.code, f.detail) for f in findings] == [
        ("pickle.unsupported_compression", {"compress_type": 9})
    ]


def test_corrupt_compressed_member_is_unreadable(tmp_path: Path) -> None:
    data = bytearray(make_zip([("archive/data.pkl", payload(2) * 50)], zipfile.ZIP_DEFLATED))
    start = data.index(b"archive/data.pkl") + len("archive/data.pkl")
    data[start : start + 20] = b"\xff" * 20
    findings = hubgate_scan_file(write(tmp_path, "m.pt", bytes(data)))
    assert "pickle.unreadable_archive" in {f.code for f in findings}


# --- Bounds ------------------------------------------------------------------------------------


def test_zip_bomb_stops_at_the_byte_budget(tmp_path: Path) -> None:
    bomb = proto(4) + b"\x8e" + struct.pack("<Q", 8_000_000) + bytes(8_000_000) + STOP
    data = make_zip([("archive/data.pkl", bomb)], zipfile.ZIP_DEFLATED)
    pickle_opcodes.hubgate_settings.apply({"max_total_bytes": 1024 * 1024})
    findings = hubgate_scan_file(write(tmp_path, "m.pt", data))
    assert [(f.code, f.detail["limit"]) for f in findings] == [
        ("pickle.scan_limit", "max_total_bytes")
    ]


def test_large_payloads_of_stored_data_are_seeked_over_not_read(tmp_path: Path) -> None:
    path = tmp_path / "sparse.pkl"
    with path.open("wb") as fh:
        fh.write(proto(4) + b"\x8e" + struct.pack("<Q", 256 * 1024**2))
        fh.seek(256 * 1024**2, os.SEEK_CUR)  # a sparse hole: nothing is written or read
        fh.write(POP + payload(2)[2:])
    pickle_opcodes.hubgate_settings.apply({"max_total_bytes": 1024 * 1024})
    file = FileToScan(path=path, name="sparse.pkl", size=path.stat().st_size)
    system_call(hubgate_scan_file(file))


def test_archives_nested_too_deep_are_a_scan_limit(tmp_path: Path) -> None:
    data = make_zip([("data.pkl", payload(2))])
    for level in range(5):
        data = make_zip([(f"level{level}.zip", data)])
    findings = hubgate_scan_file(write(tmp_path, "deep.zip", data))
    [limit] = only(findings, "pickle.scan_limit")
    assert (limit.severity, limit.detail["limit"]) == (Severity.HIGH, "max_depth")
    # Three archives deep are opened (level4, level3, level2); the fourth is refused.
    assert limit.member == "level4.zip!level3.zip!level2.zip!level1.zip"


def test_too_many_members_is_a_scan_limit(tmp_path: Path) -> None:
    members = [(f"archive/data/{i}", bytes(8)) for i in range(10)]
    data = make_zip([*members, ("archive/data.pkl", payload(2))])
    pickle_opcodes.hubgate_settings.apply({"max_members": 5, "picklescan_cross_check": False})
    findings = hubgate_scan_file(write(tmp_path, "m.pt", data))
    assert [(f.code, f.detail["limit"]) for f in findings] == [("pickle.scan_limit", "max_members")]


def test_too_many_opcodes_is_a_scan_limit(tmp_path: Path) -> None:
    data = proto(2) + (EMPTY_TUPLE + POP) * 100 + payload(2)[2:]
    pickle_opcodes.hubgate_settings.apply({"max_opcodes": 50, "picklescan_cross_check": False})
    [finding] = hubgate_scan_file(write(tmp_path, "x.pkl", data))
    assert (finding.code, finding.detail["limit"]) == ("pickle.scan_limit", "max_opcodes")


def test_picklescan_cross_check_reports_what_it_flags_and_we_did_not(tmp_path: Path) -> None:
    # Past our opcode bound, picklescan (which has none) still sees the payload.
    data = proto(2) + (EMPTY_TUPLE + POP) * 100 + payload(2)[2:]
    pickle_opcodes.hubgate_settings.apply({"max_opcodes": 50})
    findings = hubgate_scan_file(write(tmp_path, "x.pkl", data))
    [cross] = only(findings, "pickle.picklescan_dangerous")
    assert cross.severity is Severity.HIGH
    assert cross.detail["name"] == "system"
    assert only(findings, "pickle.scan_limit")


def test_too_long_a_stream_is_a_scan_limit(tmp_path: Path) -> None:
    data = proto(2) + (EMPTY_TUPLE + POP) * 2000 + payload(2)[2:]
    pickle_opcodes.hubgate_settings.apply(
        {"max_stream_bytes": 1024, "picklescan_cross_check": False}
    )
    [finding] = hubgate_scan_file(write(tmp_path, "x.pkl", data))
    assert (finding.code, finding.detail["limit"]) == ("pickle.scan_limit", "max_stream_bytes")


# --- Names that lie, and the report ------------------------------------------------------------


def test_pickle_named_safetensors_is_a_misleading_name(tmp_path: Path) -> None:
    findings = hubgate_scan_file(write(tmp_path, "model.safetensors", payload(2)))
    system_call(findings)
    [misleading] = only(findings, "pickle.misleading_name")
    assert misleading.severity is Severity.MEDIUM


def test_declared_format_counts_as_a_claim(tmp_path: Path) -> None:
    file = write(tmp_path, "blob", state_dict_pickle(), declared_format="SafeTensor")
    assert scan(file) == [("pickle.misleading_name", "medium", None)]


def test_torch_extensions_are_not_misleading(tmp_path: Path) -> None:
    assert hubgate_scan_file(write(tmp_path, "model.ckpt", torch_zip(state_dict_pickle()))) == []


def test_findings_are_json_serialisable_and_sorted_by_severity(tmp_path: Path) -> None:
    data = make_zip(
        [
            ("a.pkl", proto(2) + glob("mymod", "Thing") + STOP),
            ("b.pkl", payload(2)[:-1]),
            ("c.pkl", proto(9) + EMPTY_DICT + STOP),
        ]
    )
    findings = hubgate_scan_file(write(tmp_path, "m.zip", data))
    json.dumps([{"code": f.code, "member": f.member, "detail": dict(f.detail)} for f in findings])
    ranks = [f.severity.rank for f in findings]
    assert ranks == sorted(ranks, reverse=True)
    assert {f.code for f in findings} == {
        "pickle.dangerous_global",
        "pickle.parse_error",
        "pickle.unsupported_protocol",
        "pickle.unknown_global",
    }


def test_memory_of_the_walk_is_not_the_file(tmp_path: Path) -> None:
    # A huge string payload is skipped, not read: the walker keeps no more than its cap.
    data = proto(4) + b"X" + struct.pack("<I", 5_000_000) + b"a" * 5_000_000 + POP + payload(4)[2:]
    stream = _opcodes._walk(
        _reader._Reader(io.BytesIO(data), _reader._Budget(10**9)),
        max_stream_bytes=10_000,
        max_opcodes=1000,
    )
    assert stream.stopped and stream.limit is None
    assert ("posix", "system") in stream.globals or ("nt", "system") in stream.globals


# --- The shared hostile-archive reader ---------------------------------------------------------


def _tar_with_pax(members: list[tuple[str, bytes]], pax: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.pax_headers = pax
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_a_tar_pax_header_that_would_stall_tarfile_is_refused(tmp_path: Path) -> None:
    # Long digit runs make Python 3.11's tarfile regexes backtrack (CVE-2024-6232); the
    # shared tar guard refuses the header before tarfile parses it, as the archives scanner.
    data = _tar_with_pax([("data.pkl", payload(2))], {"comment": "9" * 200})
    findings = hubgate_scan_file(write(tmp_path, "x.tar", data))
    [refused] = only(findings, "pickle.unreadable_archive")
    assert refused.severity is Severity.HIGH
    assert "stall tar readers" in refused.message


def test_a_truncated_tar_member_is_scanned_as_far_as_it_goes(tmp_path: Path) -> None:
    data = make_tar([("data.pkl", payload(2) + bytes(4000))])
    cut = data[: 512 + 512 + len(payload(2)) + 100]
    findings = hubgate_scan_file(write(tmp_path, "x.tar", cut))
    system_call(findings, "data.pkl")
    assert only(findings, "pickle.unreadable_archive")


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_pickle_and_archive_scanners_see_the_same_zip_members(tmp_path: Path) -> None:
    # Junk before the zip and a member named twice: both scanners read the one central
    # directory through the shared reader, so both name the same members.
    from plugins.scanners import archives

    data = b"junk" * 100 + make_zip([("a/data.pkl", payload(2)), ("a/data.pkl", b"plain")])
    file = write(tmp_path, "x.zip", data)
    pickle_members = {f.member for f in hubgate_scan_file(file) if f.member}
    archive_members = {f.member for f in archives.hubgate_scan_file(file) if f.member}
    assert pickle_members == {"a/data.pkl"}
    assert archive_members == {"a/data.pkl"}
