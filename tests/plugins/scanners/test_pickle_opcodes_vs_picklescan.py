"""Where picklescan, the baseline, misses what the pickle opcode scanner catches.

Each test runs picklescan's own API on the same file and shows its verdict next to ours, so
the claim "better than picklescan" rests on tests. These pin the installed picklescan: if a
new release catches one of these, its test fails and the claim is to be dropped from the docs.
picklescan's cross-check inside our scanner is switched off here, so that our own walk is
what is measured.
"""

import logging
import zipfile
from pathlib import Path

import pytest
from picklescan.scanner import SafetyLevel, scan_file_path

from governance.hookspecs import FileToScan, Severity
from plugins.scanners import pickle_opcodes
from plugins.scanners.pickle_opcodes import hubgate_scan_file
from tests.plugins.scanners.pickle_corpus import (
    POP,
    REDUCE,
    STACK_GLOBAL,
    STOP,
    TUPLE1,
    binget,
    binput,
    call_system,
    glob,
    legacy_torch_tar,
    make_tar,
    make_zip,
    npy,
    payload,
    proto,
    state_dict_pickle,
    text,
    write,
)


@pytest.fixture(autouse=True)
def our_walk_only(caplog):
    caplog.set_level(logging.CRITICAL, logger="picklescan")
    pickle_opcodes.hubgate_settings.apply({"picklescan_cross_check": False})
    yield
    pickle_opcodes.hubgate_settings.apply({})


def picklescan_dangerous(path: Path) -> set[tuple[str, str]] | str:
    """What picklescan calls dangerous in the file, or how it failed."""
    try:
        result = scan_file_path(str(path))
    except Exception as exc:
        return f"raised {type(exc).__name__}"
    return {(g.module, g.name) for g in result.globals if g.safety is SafetyLevel.Dangerous}


def ours(path: Path, name: str | None = None) -> set[tuple[str | None, str, Severity]]:
    findings = hubgate_scan_file(
        FileToScan(path=path, name=name or path.name, size=path.stat().st_size)
    )
    return {
        (f.member, f"{f.detail.get('module')}.{f.detail.get('name')}", f.severity)
        for f in findings or []
        if f.code in ("pickle.dangerous_global", "pickle.unresolvable_global")
    }


def system(member: str | None = None, module: str = "posix") -> tuple:
    return (member, f"{module}.system", Severity.CRITICAL)


def test_memo_copied_names_resolve_where_picklescan_sees_the_memo_indices(tmp_path) -> None:
    # picklescan records, for each memo slot, the argument of the opcode before the PUT: for a
    # slot filled from another slot that is the index "0", not the string "os".
    names = (
        text("os")
        + binput(0)
        + POP
        + text("system")
        + binput(1)
        + POP
        + binget(0)
        + binput(2)
        + POP
        + binget(1)
        + binput(3)
        + POP
    )
    file = write(tmp_path, "x.pkl", proto(4) + names + call_system(binget(2), binget(3)) + STOP)
    assert picklescan_dangerous(file.path) == set()  # it sees "0.1": merely suspicious
    assert ours(file.path) == {system(module="os")}


@pytest.mark.parametrize("protocol", [0, 1])
def test_protocol_0_and_1_members_under_any_name(tmp_path, protocol: int) -> None:
    # picklescan opens a zip member only for a pickle extension or a PROTO 2+ first byte.
    data = make_zip(
        [("archive/data.pkl", state_dict_pickle()), ("archive/weights.bin", payload(protocol))]
    )
    file = write(tmp_path, "model.pt", data)
    assert picklescan_dangerous(file.path) == set()
    assert ours(file.path) == {system("archive/weights.bin")}


def test_zip_nested_in_a_zip(tmp_path: Path) -> None:
    inner = make_zip([("data.pkl", payload(2))])
    file = write(tmp_path, "bundle.zip", make_zip([("inner.zip", inner)], zipfile.ZIP_DEFLATED))
    assert picklescan_dangerous(file.path) == set()
    assert ours(file.path) == {system("inner.zip!data.pkl")}


def test_legacy_torch_tar(tmp_path: Path) -> None:
    file = write(tmp_path, "old.pt", legacy_torch_tar(payload(2)))
    assert picklescan_dangerous(file.path) == set()
    assert ours(file.path) == {system("pickle")}


def test_pickle_in_a_tar_member(tmp_path: Path) -> None:
    file = write(tmp_path, "weights.tar", make_tar([("model/weights.pkl", payload(2))]))
    assert picklescan_dangerous(file.path) == set()
    assert ours(file.path) == {system("model/weights.pkl")}


def test_duplicate_member_names_where_picklescan_reads_the_last_copy_twice(tmp_path) -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        data = make_zip(
            [("archive/data.pkl", payload(2)), ("archive/data.pkl", state_dict_pickle())]
        )
    file = write(tmp_path, "model.pt", data)
    assert picklescan_dangerous(file.path) == set()
    assert ours(file.path) == {system("archive/data.pkl")}


def test_object_npy_under_another_name_where_picklescan_raises(tmp_path: Path) -> None:
    # The npy magic starts with the STACK_GLOBAL opcode: picklescan's pickle walk crashes on it.
    file = write(tmp_path, "features.bin", npy("|O", payload(3)))
    assert picklescan_dangerous(file.path) == "raised ValueError"
    assert ours(file.path) == {system()}


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("cPickle", "loads"),  # the unpickler maps it to pickle.loads for protocols 0-2
        ("torch", "serialization.load"),  # a dotted name is an attribute walk
        ("builtins", "__import__"),  # not on picklescan's deny-list
        ("importlib", "import_module"),
        ("numpy", "load"),
        ("torch", "load"),
    ],
)
def test_globals_picklescan_only_calls_suspicious(tmp_path, module: str, name: str) -> None:
    data = proto(2) + glob(module, name) + text("x") + TUPLE1 + REDUCE + STOP
    if "." in name:
        data = proto(4) + text(module) + text(name) + STACK_GLOBAL + text("x") + TUPLE1
        data += REDUCE + STOP
    file = write(tmp_path, "x.pkl", data)
    assert picklescan_dangerous(file.path) == set()
    assert ours(file.path) == {(None, f"{module}.{name}", Severity.CRITICAL)}
