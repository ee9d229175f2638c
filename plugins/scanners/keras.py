"""Finds code hidden in Keras models: Lambda layers, marshalled bytecode, foreign modules.

Keras v3 saves a model as a zip (``.keras``) of ``config.json`` (the architecture),
``metadata.json`` and ``model.weights.h5``. Loading it rebuilds every object the config names:
a ``Lambda`` layer carries its function as base64 of marshalled Python bytecode, which runs
when the model is loaded or called (CVE-2024-3660 class), and an object's ``module`` is
imported to find its class or function, so a config naming ``os``/``subprocess``/``builtins``
calls into them (the ``safe_mode`` bypasses of 2025). The zip's ``config.json`` is parsed as
JSON and walked; nothing is imported, unmarshalled or executed.

Legacy Keras saves to HDF5 (``.h5``, magic ``\\x89HDF\\r\\n\\x1a\\n`` at offset 0 or at a
power-of-two user-block offset from 512) with the architecture as JSON in the ``model_config``
attribute of the root group. Without h5py, the whole file (up to ``max_hdf5_scan_bytes``) is
searched in bounded chunks for that JSON's telltale byte patterns: ``"class_name": "Lambda"``,
``"function_type": "lambda"``, ``"module": "..."`` and ``"registered_name": "..."``. This is a
byte search, not an HDF5 parser: it finds the JSON wherever h5py stored it contiguously
(compact, dense and variable-length string storage all are), but not in a string split across
heap blocks or passed through an HDF5 filter, which h5py does not do for attributes. JSON
written with ``\\u`` escapes of plain ASCII characters (which Keras never writes, and which
would hide a name from the search) is reported as obfuscation rather than trusted.
"""

from __future__ import annotations

import base64
import binascii
import json
import lzma
import re
import struct
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any, BinaryIO

from governance.hookspecs import FileToScan, Finding, PluginSettings, Severity, hookimpl
from plugins.scanners._archive.findings import CappedFindings

NAME = "keras"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
ZIP_LOCAL = b"PK\x03\x04"
ZIP_END = b"PK\x05\x06"
GiB = 1 << 30

#: Top-level packages whose objects a Keras config may name.
KERAS_PACKAGES = frozenset({"keras", "keras_hub", "keras_nlp", "keras_cv", "tensorflow"})
#: Modules that give a config a way to run commands, load code or reach the interpreter.
DANGEROUS_MODULES = frozenset(
    {
        "os",
        "posix",
        "nt",
        "subprocess",
        "sys",
        "builtins",
        "__builtin__",
        "shutil",
        "importlib",
        "runpy",
        "code",
        "codeop",
        "pty",
        "ctypes",
        "pickle",
        "_pickle",
        "marshal",
        "socket",
        "webbrowser",
        "multiprocessing",
        "operator",
        "functools",
        "types",
        "io",
        "pathlib",
        "tempfile",
        "urllib",
        "http",
        "requests",
        "dill",
        "cloudpickle",
        "joblib",
    }
)

DEFAULTS: dict[str, int] = {
    "max_config_bytes": 16 << 20,
    "max_hdf5_scan_bytes": 16 * GiB,
}
MAX_ZIP_MEMBERS = 100_000
CHUNK = 1 << 20
#: Bytes after a key in which its value must start and end; JSON that pads a key's value
#: further than this is not what Keras writes.
LOOKAHEAD = 4096


_KEY = re.compile(rb'"(class_name|module|registered_name|function_type|function)"')
_COLON = re.compile(r"\s*:\s*")
_BASE64_LIST = re.compile(r'\[\s*"([A-Za-z0-9+/]{8})')
_ESCAPE = re.compile(rb"\\u00[2-7][0-9A-Fa-f]")
_MARKERS = (b"model_config", b"keras_version")


hubgate_settings = PluginSettings(
    defaults=DEFAULTS,
    types=dict.fromkeys(DEFAULTS, int),
    checks=dict.fromkeys(DEFAULTS, (lambda value: value >= 1, "a positive integer")),
)


@hookimpl
def hubgate_scan_file(file: FileToScan) -> list[Finding] | None:
    with file.open() as fh:
        size = fh.seek(0, 2)
        fh.seek(0)
        head = fh.read(8)
        if head == HDF5_MAGIC or _hdf5_user_block(fh, size):
            return _scan_hdf5(fh, size)
        if _zip_members_bounded(fh, size):
            return _scan_keras_zip(fh)
    return None


# --- Keras v3 zip ---------------------------------------------------------------------------


def _zip_members_bounded(fh: BinaryIO, size: int) -> bool:
    """Whether the file ends like a zip with few enough members to open with zipfile."""
    tail_size = min(size, 65_535 + 22)
    fh.seek(size - tail_size)
    tail = fh.read(tail_size)
    at = tail.rfind(ZIP_END)
    if at < 0 or len(tail) - at < 22:
        return False
    (entries,) = struct.unpack("<H", tail[at + 10 : at + 12])
    if entries == 0xFFFF and at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07":
        # The zip64 end record sits just before its locator (zipfile assumes the same).
        fh.seek(max(0, size - tail_size + at - 20 - 56))
        zip64 = fh.read(56)
        if len(zip64) < 56 or zip64[:4] != b"PK\x06\x06":
            return False
        (entries,) = struct.unpack("<Q", zip64[32:40])
    # A zip with more members than this is the archive scanner's to refuse, not ours to open.
    return entries <= MAX_ZIP_MEMBERS


def _scan_keras_zip(fh: BinaryIO) -> list[Finding] | None:
    fh.seek(0)
    try:
        archive = zipfile.ZipFile(fh)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        OSError,
        ValueError,
        EOFError,
        struct.error,
    ):
        # Not a zip that zipfile (and so Keras) can open; the archive scanner reports it.
        return None
    with archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        if "config.json" not in names or not names & {
            "metadata.json",
            "model.weights.h5",
            "model.weights.npz",
        }:
            return None
        report = CappedFindings("keras")
        configs = [info for info in infos if info.filename == "config.json"]
        if len(configs) > 1:
            report.add(
                "duplicate_config",
                Severity.MEDIUM,
                f"The archive holds {len(configs)} config.json members; Keras reads the last, "
                "other tools the first. All were scanned.",
                member="config.json",
                copies=len(configs),
            )
        for info in configs:
            _scan_zip_config(archive, info, report)
    return report.result()


def _scan_zip_config(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, report: CappedFindings
) -> None:
    limit = hubgate_settings["max_config_bytes"]
    if info.file_size > limit:
        report.add(
            "config_too_large",
            Severity.HIGH,
            f"config.json is {info.file_size} bytes, above the {limit}-byte limit; it was not "
            "inspected.",
            member=info.filename,
            size=info.file_size,
        )
        return
    try:
        with archive.open(info) as member:
            raw = member.read(limit + 1)
    except (
        zipfile.BadZipFile,
        RuntimeError,
        NotImplementedError,
        OSError,
        EOFError,
        zlib.error,
        lzma.LZMAError,
        ValueError,
        struct.error,
    ) as exc:
        report.add(
            "config_unreadable",
            Severity.HIGH,
            f"config.json could not be read ({type(exc).__name__}: {exc}), so the model's "
            "layers could not be checked.",
            member=info.filename,
        )
        return
    if len(raw) > limit:
        report.add(
            "config_too_large",
            Severity.HIGH,
            f"config.json is larger than the {limit}-byte limit; it was not inspected.",
            member=info.filename,
        )
        return
    try:
        config = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
    except _DuplicateKeyError as exc:
        report.add(
            "config_duplicate_key",
            Severity.HIGH,
            f"config.json names key {exc.key!r} twice in one object; parsers disagree on which "
            "value wins, which can hide a layer from a scanner.",
            member=info.filename,
            key=exc.key[:200],
        )
        return
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        report.add(
            "config_invalid",
            Severity.HIGH,
            f"config.json is not valid JSON ({type(exc).__name__}), so the model's layers "
            "could not be checked.",
            member=info.filename,
        )
        return
    _walk_config(config, report, member=info.filename)


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _walk_config(config: Any, report: CappedFindings, *, member: str) -> None:
    """Visit every object in the config without recursion (depth is the attacker's choice)."""
    stack: list[tuple[Any, str]] = [(config, "$")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            _check_object(node, path, report, member)
            for key, value in node.items():
                if isinstance(value, dict | list):
                    stack.append((value, _child(path, f".{str(key)[:64]}")))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, dict | list):
                    stack.append((value, _child(path, f"[{index}]")))


def _child(path: str, step: str) -> str:
    # Paths stop growing past a few hundred characters: a deep config must not make every
    # node carry a long string.
    return path + step if len(path) < 400 else path


def _check_object(node: dict[str, Any], path: str, report: CappedFindings, member: str) -> None:
    class_name = node.get("class_name")
    inner = node.get("config") if isinstance(node.get("config"), dict) else {}
    layer = inner.get("name") if isinstance(inner.get("name"), str) else node.get("name")
    layer = layer[:200] if isinstance(layer, str) else None
    where = {"path": path[:500], "layer": layer}
    if class_name == "Lambda":
        report.add(
            "lambda_layer",
            Severity.CRITICAL,
            f"Lambda layer {layer!r} carries an arbitrary Python function that runs when the "
            "model is loaded or called.",
            member=member,
            **where,
        )
    if class_name == "__lambda__" or node.get("function_type") == "lambda":
        report.add(
            "lambda_bytecode",
            Severity.CRITICAL,
            f"{path[:200]} is a serialized Python lambda (marshalled bytecode).",
            member=member,
            **where,
        )
    elif "function" in node and _is_marshalled_code(node["function"]):
        report.add(
            "lambda_bytecode",
            Severity.CRITICAL,
            f"{path[:200]}.function holds base64 of marshalled Python bytecode.",
            member=member,
            **where,
        )
    _check_origin(node, where, report, member)


def _is_marshalled_code(value: Any) -> bool:
    if isinstance(value, list) and value:
        value = value[0]
    if not isinstance(value, str):
        return False
    prefix = "".join(value[:64].split())[:8]
    try:
        decoded = base64.b64decode(prefix + "=" * (-len(prefix) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    # marshal's TYPE_CODE is 'c', with the FLAG_REF bit (0x80) set by Python 3.
    return bool(decoded) and decoded[0] & 0x7F == ord("c")


def _check_origin(
    node: dict[str, Any], where: dict[str, Any], report: CappedFindings, member: str
) -> None:
    module = node.get("module")
    registered = node.get("registered_name")
    origins = []
    if isinstance(module, str) and module:
        origins.append(("module", module, module.split(".")[0]))
    if isinstance(registered, str) and ">" in registered:
        origins.append(("registered_name", registered, registered.split(">")[0]))
    for key, value, package in origins:
        _report_origin(key, value, package, node, where, report, member)


def _report_origin(
    key: str,
    value: str,
    package: str,
    node: Mapping[str, Any],
    where: dict[str, Any],
    report: CappedFindings,
    member: str | None,
) -> None:
    if package in KERAS_PACKAGES:
        return
    class_name = node.get("class_name")
    target = node.get("config") if class_name == "function" else class_name
    target = target[:200] if isinstance(target, str) else None
    if package in DANGEROUS_MODULES:
        report.add(
            "dangerous_module",
            Severity.CRITICAL,
            f"The config makes Keras look up {target!r} in {value[:200]!r} ({key}), a module "
            "that runs commands or loads code.",
            member=member,
            **{key: value[:200]},
            target=target,
            **where,
        )
    else:
        report.add(
            "external_module",
            Severity.HIGH,
            f"The config names {value[:200]!r} ({key}), outside Keras: loading the model "
            "imports or needs code that is not in the file.",
            member=member,
            **{key: value[:200]},
            target=target,
            **where,
        )


# --- Legacy HDF5 ----------------------------------------------------------------------------


def _hdf5_user_block(fh: BinaryIO, size: int) -> bool:
    offset = 512
    while offset + 8 <= size:
        fh.seek(offset)
        if fh.read(8) == HDF5_MAGIC:
            return True
        offset *= 2
    return False


def _scan_hdf5(fh: BinaryIO, size: int) -> list[Finding] | None:
    """Search the file in chunks; each key found is decoded from the bytes that follow it."""
    limit = min(size, hubgate_settings["max_hdf5_scan_bytes"])
    report = CappedFindings("keras")
    keras_marker = False
    fh.seek(0)
    window = b""
    base = 0  # file offset of window[0]
    done = 0  # file offset up to which keys have been looked at
    while True:
        chunk = fh.read(min(CHUNK, limit - base - len(window)))
        window += chunk
        at_end = not chunk
        stop = len(window) if at_end else max(0, len(window) - LOOKAHEAD)
        if not keras_marker:
            keras_marker = any(marker in window for marker in _MARKERS)
        for match in _ESCAPE.finditer(window, done - base, stop):
            report.add(
                "obfuscated_json",
                Severity.HIGH,
                "The file holds JSON with \\u escapes of plain ASCII characters, which Keras "
                "never writes; they hide layer and module names from inspection.",
                offset=base + match.start(),
                match=match.group(0).decode("ascii"),
            )
        for match in _KEY.finditer(window, done - base, stop):
            _hdf5_key(match.group(1).decode("ascii"), window, match.end(), base, report)
        if at_end:
            break
        done = base + stop
        keep = len(window) - stop
        base += len(window) - keep
        window = window[-keep:] if keep else b""
    if not keras_marker and not report.findings:
        return None  # an HDF5 file, but not a Keras model
    if size > limit:
        report.add(
            "hdf5_partially_scanned",
            Severity.MEDIUM,
            f"Only the first {limit} of {size} bytes were searched for Keras layers.",
            scanned_bytes=limit,
            file_size=size,
        )
    return report.result()


def _hdf5_key(key: str, window: bytes, end: int, base: int, report: CappedFindings) -> None:
    text = window[end : end + LOOKAHEAD].decode("utf-8", errors="replace")
    colon = _COLON.match(text)
    if colon is None:
        return  # the key is not followed by a value: not JSON, or padded past our window
    offset = base + end
    value_at = colon.end()
    if key == "function":
        code = _BASE64_LIST.match(text, value_at)
        if code is not None and _is_marshalled_code(code.group(1)):
            report.add(
                "lambda_bytecode",
                Severity.CRITICAL,
                "The model_config holds a Lambda function as marshalled Python bytecode.",
                offset=offset,
            )
        return
    if not text.startswith('"', value_at):
        return
    try:
        value, _ = json.decoder.scanstring(text, value_at + 1)
    except ValueError:
        return  # not a complete JSON string within the window
    if key == "class_name" and value in ("Lambda", "__lambda__"):
        report.add(
            "lambda_layer" if value == "Lambda" else "lambda_bytecode",
            Severity.CRITICAL,
            f"The model_config declares a {value} object, which carries an arbitrary Python "
            "function that runs when the model is loaded.",
            offset=offset,
        )
    elif key == "function_type" and value == "lambda":
        report.add(
            "lambda_bytecode",
            Severity.CRITICAL,
            "The model_config holds a serialized Python lambda (marshalled bytecode).",
            offset=offset,
        )
    elif key == "module" and value:
        _report_origin(key, value, value.split(".")[0], {}, {"offset": offset}, report, None)
    elif key == "registered_name" and ">" in value:
        _report_origin(key, value, value.split(">")[0], {}, {"offset": offset}, report, None)
