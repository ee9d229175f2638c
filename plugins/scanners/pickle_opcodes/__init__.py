"""Finds what a file's pickles would import and call, opcode by opcode, without unpickling.

Unpickling runs code: every GLOBAL, INST or STACK_GLOBAL opcode imports an object and REDUCE,
NEWOBJ, OBJ or INST calls it. This scanner walks every pickle-bearing part of a file with its
own tolerant opcode walker (the opcode table comes from :mod:`pickletools`; nothing from the
file is ever imported, unpickled or executed) and reports the globals it references:

* what is on the allow-list a state dict needs (``collections.OrderedDict``,
  ``torch._utils._rebuild_tensor_v2``, storages, dtypes, numpy reconstruction, a few
  builtins) is fine; ``extra_safe_globals`` extends it;
* what runs code or touches the operating system is critical (a few indirect gadgets, such as
  ``operator.attrgetter`` or ``functools.partial``, are high), and picklescan's own deny-list
  is merged in so this scanner is never weaker than picklescan;
* everything else is an unknown global, medium.

It goes past picklescan where picklescan is known to be bypassed: STACK_GLOBAL names are
resolved through a simulated stack and memo (not by looking at the previous opcodes), names
that cannot be resolved statically are high, Python 2 names are mapped as the unpickler maps
them (``cPickle`` is ``pickle``), dotted names that walk attributes (``torch`` +
``serialization.load``) are matched on the whole path, a stream that breaks still reports
what came before the break, calls on call results and BUILD or SETITEM on a global are
reported, and any member of a zip or tar archive whose content is a pickle is scanned
whatever it is called, in nested zip and tar archives, gzip/bz2/xz wrappers, ``.npy`` object
arrays, ``.npz`` archives and the legacy torch formats (concatenated pickles, and the tar
with ``sys_info``, ``pickle``, ``storages`` and ``tensors``, following the storages layout).

Everything is bounded (bytes per pickle stream, opcodes, nesting depth, members, total bytes
read); a bound that is hit becomes a ``pickle.scan_limit`` finding, never an exception. A
broken stream that references no global is not reported: without a global, unpickling cannot
call anything. A finding's ``member`` is the path inside the file, nested archives joined
with ``!`` (``inner.zip!archive/data.pkl``), or None for the file itself.

What it does not do: it tracks strings, globals and call results through the stack and memo,
not other values, so a name computed by a call is reported unresolvable rather than computed;
after raw data that is not a pickle it stops looking (apart from the legacy torch layouts it
follows), so a pickle hidden at an arbitrary offset is left to the cross-check; 7z archives
are not opened (a medium finding says so); and the walk is pure Python, a few microseconds
per opcode.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any

from governance.hookspecs import (
    FileToScan,
    Finding,
    PluginSettings,
    ScanBudgetExceeded,
    Severity,
    hookimpl,
)
from plugins.scanners.pickle_opcodes._containers import _Scan
from plugins.scanners.pickle_opcodes._rules import _picklescan, _Policy, _validate_safe_entry

NAME = "pickle_opcodes"

DEFAULTS: dict[str, Any] = {
    #: Opcode bytes read from one pickle stream (large string and bytes payloads are skipped).
    "max_stream_bytes": 64 * 1024 * 1024,
    #: Opcodes walked in one pickle stream.
    "max_opcodes": 5_000_000,
    #: How deep archives may nest inside each other (a zip in a zip is depth 1).
    "max_depth": 3,
    #: Archive members examined in the whole file, all archives together.
    "max_members": 10_000,
    #: Bytes read or decompressed from the whole file; seeking over stored data is free.
    "max_total_bytes": 1024 * 1024 * 1024,
    #: Globals allowed on top of the built-in allow-list: "module.name", "module:qualname"
    #: or "module.*" (every top-level name of exactly that module).
    "extra_safe_globals": [],
    #: Also run picklescan over the file and report what it flags and this scanner did not.
    "picklescan_cross_check": True,
    #: picklescan reads whole streams into memory: only files up to this size are cross-checked.
    "picklescan_max_bytes": 64 * 1024 * 1024,
}

_INT_OPTIONS = {
    "max_stream_bytes": 1024,
    "max_opcodes": 1,
    "max_depth": 0,
    "max_members": 1,
    "max_total_bytes": 1024,
    "picklescan_max_bytes": 0,
}


# --- Configuration -----------------------------------------------------------------------------


def _safe_entries_valid(settings: Mapping[str, Any]) -> None:
    for entry in settings["extra_safe_globals"]:
        _validate_safe_entry(entry)


hubgate_settings = PluginSettings(
    defaults=DEFAULTS,
    types={
        **dict.fromkeys(_INT_OPTIONS, int),
        "extra_safe_globals": list,
        "picklescan_cross_check": bool,
    },
    checks={
        key: (lambda value, minimum=minimum: value >= minimum, f"an integer of at least {minimum}")
        for key, minimum in _INT_OPTIONS.items()
    },
    validate=_safe_entries_valid,
)


# One policy per allow-list: its verdicts are cached, and a scan keeps the one it started with.
@lru_cache(maxsize=4)
def _policy_for(extra_safe_globals: tuple[str, ...]) -> _Policy:
    return _Policy(list(extra_safe_globals))


# --- Findings ----------------------------------------------------------------------------------

_NON_PICKLE_SUFFIXES = (
    ".safetensors",
    ".gguf",
    ".ggml",
    ".onnx",
    ".tflite",
    ".h5",
    ".hdf5",
    ".keras",
    ".json",
    ".txt",
    ".md",
    ".yaml",
    ".yml",
    ".toml",
    ".csv",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".webp",
    ".msgpack",
)
_NON_PICKLE_DECLARED = {"safetensor", "safetensors", "gguf", "onnx", "keras", "h5", "hdf5"}


def _claims_no_pickle(file: FileToScan) -> str | None:
    if file.name.lower().endswith(_NON_PICKLE_SUFFIXES):
        return f"named {file.name!r}"
    if (file.declared_format or "").lower() in _NON_PICKLE_DECLARED:
        return f"declared as {file.declared_format!r}"
    return None


def _global_findings(scan: _Scan) -> list[Finding]:
    findings = []
    for (label, module, name), report in scan.globals.items():
        verdict = scan.policy.classify(module, name)
        detail = {
            "module": module,
            "name": name,
            "opcode": report.opcode,
            "opcodes": sorted(report.opcodes),
            "offset": report.offset,
            "stream": report.stream,
            "called_by": sorted(report.calls),
            "occurrences": report.count,
        }
        called = f" and is called ({', '.join(sorted(report.calls))})" if report.calls else ""
        if verdict.kind == "dangerous":
            findings.append(
                Finding(
                    code="pickle.dangerous_global",
                    severity=verdict.severity,
                    message=f"The pickle imports {module}.{name}, which {verdict.reason}"
                    f"{called}: unpickling this file can run it.",
                    member=label,
                    detail={**detail, "reason": verdict.reason, "rule": verdict.rule},
                )
            )
        elif verdict.kind == "unknown":
            findings.append(
                Finding(
                    code="pickle.unknown_global",
                    severity=Severity.MEDIUM,
                    message=f"The pickle imports {module}.{name}{called}, which is not on the "
                    "allow-list: unpickling imports that module and runs whatever it does.",
                    member=label,
                    detail=detail,
                )
            )
        if report.mutations:
            findings.append(
                Finding(
                    code="pickle.global_mutation",
                    severity=Severity.HIGH,
                    message=f"The pickle changes {module}.{name} itself "
                    f"({', '.join(sorted(report.mutations))}), not an object it made: that "
                    "rewires code every later caller uses.",
                    member=label,
                    detail={**detail, "mutated_by": sorted(report.mutations)},
                )
            )
    return findings


def _picklescan_findings(
    file: FileToScan, size: int, scan: _Scan, ours: list[Finding]
) -> list[Finding]:
    """What picklescan calls dangerous and this scanner did not report: defence in depth."""
    if (
        _picklescan is None
        or not scan.config["picklescan_cross_check"]
        or size > scan.config["picklescan_max_bytes"]
    ):
        return []
    try:
        suffix = PurePosixPath(file.name).suffix.lower() or None
        with file.open() as fh:
            result = _picklescan.scan_bytes(fh, file.name, suffix)
        dangerous = _picklescan.SafetyLevel.Dangerous
    except ScanBudgetExceeded:
        raise  # the scan is out of time or bytes: that is the scan's problem
    except Exception:  # picklescan failing on hostile input is its problem, not the scan's
        return []
    reported = {
        (f.detail.get("module"), f.detail.get("name"))
        for f in ours
        if f.code in ("pickle.dangerous_global", "pickle.unknown_global")
    }
    opaque_codes = {
        "pickle.unresolvable_global",
        "pickle.indirect_call",
        "pickle.extension_registry",
    }
    opaque = any(f.code in opaque_codes for f in ours)
    findings = {}
    for found in result.globals:
        if found.safety is not dangerous or (found.module, found.name) in reported:
            continue
        if opaque and "unknown" in (found.module, found.name):
            continue
        findings[(found.module, found.name)] = Finding(
            code="pickle.picklescan_dangerous",
            severity=Severity.HIGH,
            message=f"picklescan flags {found.module}.{found.name} as dangerous and this "
            "scanner did not: the two disagree about how the file unpickles.",
            detail={"module": found.module, "name": found.name},
        )
    return list(findings.values())


def _sort_key(finding: Finding) -> tuple[Any, ...]:
    return (
        -finding.severity.rank,
        finding.member or "",
        finding.code,
        str(finding.detail.get("module", "")),
        str(finding.detail.get("name", "")),
    )


@hookimpl
def hubgate_scan_file(file: FileToScan) -> list[Finding] | None:
    settings = hubgate_settings.current
    scan = _Scan(settings, _policy_for(settings["extra_safe_globals"]))
    with file.open() as fh:
        fh.seek(0, 2)
        size = fh.tell()
        scan.blob(fh, size, None, 0)
    findings = _global_findings(scan) + list(scan.findings.values())
    claim = _claims_no_pickle(file)
    if scan.found_pickle and claim is not None:
        findings.append(
            Finding(
                code="pickle.misleading_name",
                severity=Severity.MEDIUM,
                message=f"The file is {claim} but holds pickle data: tools that trust the name "
                "may load it without the care a pickle needs.",
                detail={"name": file.name, "declared_format": file.declared_format},
            )
        )
    findings += _picklescan_findings(file, size, scan, findings)
    if not findings and not scan.found_pickle:
        return None
    return sorted(findings, key=_sort_key)
