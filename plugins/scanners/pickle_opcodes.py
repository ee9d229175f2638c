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

import ast
import bz2
import lzma
import pickletools
import struct
import tarfile
import tempfile
import zipfile
import zlib
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, BinaryIO

from governance.hookspecs import FileToScan, Finding, Severity, hookimpl

try:
    from picklescan import scanner as _picklescan
except ImportError:  # the baseline is a dependency, but the scanner must not need it to run
    _picklescan = None

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

_CHUNK = 64 * 1024
_FIRST_CHUNK = 4 * 1024
#: Longest string kept to resolve names with; longer payloads are skipped, never read.
_KEEP_STRING = 4096
#: Distinct globals one stream may reference before it is cut short.
_MAX_GLOBALS = 10_000
#: Distinct memo slots simulated per stream.
_MAX_MEMO = 1_000_000
#: Records kept per kind (unresolved names, indirect calls) per stream.
_MAX_RECORDS = 100
#: Largest single read a tar header may ask for (long names and pax headers).
_MAX_TAR_READ = 16 * 1024 * 1024
_MAX_NPY_HEADER = 1024 * 1024
_SPOOL_IN_MEMORY = 8 * 1024 * 1024
_HEAD = 512

_ZIP_STORED, _ZIP_DEFLATED, _ZIP_BZIP2, _ZIP_LZMA = 0, 8, 12, 14
_ZIP_METHODS = {
    _ZIP_STORED: "stored",
    _ZIP_DEFLATED: "deflate",
    _ZIP_BZIP2: "bz2",
    _ZIP_LZMA: "zip-lzma",
}
_LOCAL_HEADER = struct.Struct("<4sHHHHHLLLHH")

# --- The policy: what a global is --------------------------------------------------------------

_STORAGE_ELEMENT_SIZE = {
    "DoubleStorage": 8, "FloatStorage": 4, "HalfStorage": 2, "BFloat16Storage": 2,
    "LongStorage": 8, "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1, "ByteStorage": 1,
    "BoolStorage": 1, "ComplexDoubleStorage": 16, "ComplexFloatStorage": 8,
    "QUInt8Storage": 1, "QInt8Storage": 1, "QInt32Storage": 4, "QUInt4x2Storage": 1,
    "QUInt2x4Storage": 1,
}  # fmt: skip

_TORCH_DTYPES = (
    "float16", "float32", "float64", "bfloat16", "half", "float", "double", "complex64",
    "complex128", "int8", "int16", "int32", "int64", "uint8", "long", "int", "short", "bool",
)  # fmt: skip

_TORCH_TENSOR_KINDS = (
    "Double", "Float", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool",
)  # fmt: skip

#: What a state dict, a numpy array or plain Python data legitimately needs, nothing more.
#: Python 2 spellings (``__builtin__``, ``copy_reg``) are mapped as the unpickler maps them.
SAFE_GLOBALS: frozenset[tuple[str, str]] = frozenset(
    {
        ("collections", "OrderedDict"),
        ("torch._utils", "_rebuild_tensor"),
        ("torch._utils", "_rebuild_tensor_v2"),
        ("torch._utils", "_rebuild_parameter"),
        ("torch", "Size"),
        *(("torch", storage) for storage in _STORAGE_ELEMENT_SIZE),
        *(("torch", dtype) for dtype in _TORCH_DTYPES),
        # The legacy tar format names the tensor type of every tensor.
        *(("torch", f"{kind}Tensor") for kind in _TORCH_TENSOR_KINDS),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        # Python 3 pickles bytes for protocols 0-2 as _codecs.encode(str, "latin1").
        ("_codecs", "encode"),
        # copyreg._reconstructor(cls, base, state): cls and base are globals checked on their own.
        ("copyreg", "_reconstructor"),
        *(
            ("builtins", name)
            for name in ("set", "frozenset", "slice", "bytearray", "complex", "object", "bytes")
        ),
        ("builtins", "range"),
    }
)

_EXEC = "runs code or commands"
_OS = "touches the operating system (files, processes, environment)"
_NET = "opens network connections"
_LOAD = "deserializes more data, a pickle inside the pickle"
_REACH = "reaches arbitrary objects by name or attribute"
_GADGET = "calls or fetches whatever it is given: a building block of code execution"

_C, _H, _M = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM


def _rules(severity: Severity, reason: str, *paths: str) -> dict[str, tuple[Severity, str]]:
    return dict.fromkeys(paths, (severity, reason))


#: Dotted paths that are dangerous, with everything below them ("os" covers "os.system" and
#: "os.path.join"). A global matches when its module and name joined with dots equals a path
#: or lies below it.
DANGEROUS_GLOBALS: dict[str, tuple[Severity, str]] = {
    **_rules(
        _C, _EXEC,
        "os", "posix", "nt", "subprocess", "_posixsubprocess", "_winapi", "msvcrt", "pty",
        "commands", "popen2", "platform", "sys", "runpy", "code", "codeop", "importlib", "imp",
        "zipimport", "pkgutil", "marshal", "types", "ctypes", "_ctypes", "cffi", "pdb", "bdb",
        "timeit", "cProfile", "profile", "_lsprof", "trace", "asyncio", "multiprocessing",
        "_multiprocessing", "concurrent", "_thread", "pip", "setuptools", "distutils",
        "ensurepip", "venv", "site", "_sitebuiltins", "pydoc", "doctest", "idlelib", "test",
        "gc", "rlcompleter", "readline", "getpass", "logging", "uuid", "_osx_support",
        "_aix_support", "_pyrepl", "builtins.eval", "builtins.exec", "builtins.compile",
        "builtins.open", "builtins.__import__", "builtins.getattr", "builtins.setattr",
        "builtins.delattr", "builtins.globals", "builtins.locals", "builtins.vars",
        "builtins.breakpoint", "builtins.input", "builtins.apply", "builtins.execfile",
        "builtins.file", "builtins.reload", "builtins.help", "builtins.exit", "builtins.quit",
    ),
    **_rules(
        _C, _OS,
        "shutil", "pathlib", "fileinput", "mmap", "fcntl", "resource", "signal", "_signal",
        "shelve", "dbm",
    ),
    **_rules(
        _C, _NET,
        "socket", "_socket", "ssl", "select", "selectors", "http", "urllib", "urllib2",
        "urllib3", "httplib", "requests", "httpx", "aiohttp", "ftplib", "smtplib", "telnetlib",
        "poplib", "imaplib", "nntplib", "xmlrpc", "socketserver", "webbrowser",
    ),
    **_rules(_C, _LOAD, "pickle", "_pickle", "cPickle", "dill", "joblib", "cloudpickle"),
    **_rules(
        _C, "loads or runs model code (torch.load and friends)",
        "torch.load", "torch.save", "torch.serialization", "torch.hub",
        "torch.storage._load_from_bytes", "torch.jit", "torch.package", "torch._inductor",
        "torch.utils.cpp_extension", "torch.utils.collect_env", "torch.utils.bottleneck",
        "torch.utils.data.datapipes", "torch.utils._config_module", "torch.distributed",
        "torch.multiprocessing", "torch._dynamo", "torch.fx", "torch.compile", "torch.library",
    ),
    **_rules(_H, _REACH, "torch.ops", "torch.classes", "torch._C", "torch._ops"),
    **_rules(
        _C, "loads, saves or evaluates through numpy",
        "numpy.load", "numpy.lib.npyio", "numpy.lib._npyio_impl", "numpy.lib.format",
        "numpy.testing", "numpy.f2py", "numpy.distutils", "numpy.ctypeslib", "numpy.save",
        "numpy.savez", "numpy.savez_compressed", "numpy.savetxt", "numpy.memmap",
    ),
    **_rules(_H, _OS, "numpy.fromfile", "numpy.loadtxt", "numpy.genfromtxt"),
    **_rules(
        _C, "loads pickles or evaluates expressions through pandas",
        "pandas.read_pickle", "pandas.io.pickle", "pandas.eval", "pandas.core.computation",
    ),
    **_rules(
        _C, "loads YAML that can construct arbitrary objects",
        "yaml.load", "yaml.load_all", "yaml.unsafe_load", "yaml.unsafe_load_all",
        "yaml.full_load", "yaml.full_load_all",
    ),
    **_rules(
        _C, "loads a model that can carry code",
        "keras.models.load_model", "keras.saving", "tensorflow.keras.models.load_model",
        "tensorflow.io", "tensorflow.saved_model",
    ),
    **_rules(
        _H, _GADGET,
        "operator", "_operator", "functools", "inspect", "threading", "copyreg.add_extension",
        "copyreg.remove_extension", "copyreg.clear_extension_cache", "copyreg.pickle",
        "copyreg.constructor",
    ),
    **_rules(
        _H, "opens files",
        "io", "_io", "codecs.open", "zipfile", "tarfile", "gzip.open", "gzip.GzipFile",
        "bz2.open", "bz2.BZ2File", "lzma.open", "lzma.LZMAFile", "sqlite3", "linecache",
    ),
    **_rules(_M, "creates temporary files", "tempfile"),
}  # fmt: skip


def _picklescan_rules() -> dict[str, tuple[Severity, str]]:
    """picklescan's deny-list as dotted paths, for whatever our own table does not cover."""
    unsafe = getattr(_picklescan, "_unsafe_globals", None)
    if not isinstance(unsafe, Mapping):  # picklescan missing or reorganised: ours still applies
        return {}
    rules: dict[str, tuple[Severity, str]] = {}
    for module, names in unsafe.items():
        if not isinstance(module, str):
            continue
        if names == "*":
            paths = [module]
        elif isinstance(names, str):
            paths = [f"{module}.{names}"]
        else:
            paths = [f"{module}.{name}" for name in names if isinstance(name, str)]
        for path in paths:
            if _match_rule(path, DANGEROUS_GLOBALS) is None:
                rules[path] = (Severity.CRITICAL, "is on picklescan's deny-list")
    return rules


def _match_rule(path: str, rules: Mapping[str, tuple[Severity, str]]) -> tuple[str, Any] | None:
    """The most severe rule whose path is ``path`` or one of its dotted prefixes."""
    parts = path.split(".")
    best: tuple[str, Any] | None = None
    for end in range(1, len(parts) + 1):
        prefix = ".".join(parts[:end])
        rule = rules.get(prefix)
        if rule is not None and (best is None or rule[0].rank > best[1][0].rank):
            best = (prefix, rule)
    return best


_PICKLESCAN_RULES = _picklescan_rules()


@dataclass(frozen=True, slots=True)
class _Verdict:
    kind: str  # "safe", "dangerous", "unknown"
    severity: Severity | None = None
    reason: str = ""
    rule: str | None = None


class _Policy:
    def __init__(self, extra_safe: list[str]) -> None:
        self.exact: set[tuple[str, str]] = set(SAFE_GLOBALS)
        self.modules: set[str] = set()
        for entry in extra_safe:
            if entry.endswith(".*"):
                self.modules.add(entry[:-2])
            elif ":" in entry:
                module, _, name = entry.partition(":")
                self.exact.add((module, name))
            else:
                module, _, name = entry.rpartition(".")
                self.exact.add((module, name))
        self._cache: dict[tuple[str, str], _Verdict] = {}

    def classify(self, module: str, name: str) -> _Verdict:
        key = (module, name)
        verdict = self._cache.get(key)
        if verdict is None:
            if len(self._cache) >= _MAX_GLOBALS:  # hostile files must not grow it forever
                self._cache.clear()
            verdict = self._cache[key] = self._classify(module, name)
        return verdict

    def _classify(self, module: str, name: str) -> _Verdict:
        # The unpickler maps Python 2 names for protocols 0-2; judge both spellings.
        candidates = [(module, name)]
        if (module, name) in NAME_MAPPING:
            candidates.append(NAME_MAPPING[(module, name)])
        elif module in IMPORT_MAPPING:
            candidates.append((IMPORT_MAPPING[module], name))
        worst: _Verdict | None = None
        for cand_module, cand_name in candidates:
            # "torch" + "serialization.load" is torch.serialization.load: match whole paths.
            path = f"{cand_module}.{cand_name}"
            for rules in (DANGEROUS_GLOBALS, _PICKLESCAN_RULES):
                hit = _match_rule(path, rules)
                if hit is not None and (worst is None or hit[1][0].rank > worst.severity.rank):
                    worst = _Verdict("dangerous", hit[1][0], hit[1][1], hit[0])
        if worst is not None:
            return worst
        # With a Python 2 name, what gets imported is the mapped one.
        if self._is_safe(*candidates[-1]):
            return _Verdict("safe")
        components = name.split(".")
        if any(part.startswith("__") and part.endswith("__") for part in components):
            return _Verdict(
                "dangerous", Severity.HIGH, "walks a dunder attribute, an escape route", None
            )
        if len(components) > 1 and self._is_safe(module, components[0]):
            return _Verdict(
                "dangerous",
                Severity.HIGH,
                f"reaches an attribute of the allowed {module}.{components[0]}, which no "
                "state dict needs",
                None,
            )
        return _Verdict("unknown", Severity.MEDIUM)

    def _is_safe(self, module: str, name: str) -> bool:
        return (module, name) in self.exact or (module in self.modules and "." not in name)


def _validate_safe_entry(entry: Any) -> str:
    def dotted(text: str) -> bool:
        return bool(text) and all(part.isidentifier() for part in text.split("."))

    if isinstance(entry, str):
        if entry.endswith(".*") and dotted(entry[:-2]):
            return entry
        if ":" in entry:
            module, _, name = entry.partition(":")
            if dotted(module) and dotted(name):
                return entry
        elif "." in entry and dotted(entry):
            return entry
    raise ValueError(
        f"extra_safe_globals entries must be 'module.name', 'module:qualname' or 'module.*', "
        f"got {entry!r}"
    )


# --- Configuration -----------------------------------------------------------------------------

_config: dict[str, Any] = dict(DEFAULTS)
_policy = _Policy([])


@hookimpl
def hubgate_configure(config: Mapping[str, Any]) -> None:
    global _config, _policy
    unknown = set(config) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown pickle_opcodes options: {', '.join(sorted(unknown))}")
    new = dict(DEFAULTS)
    for key, minimum in _INT_OPTIONS.items():
        value = config.get(key, DEFAULTS[key])
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{key} must be an integer of at least {minimum}")
        new[key] = value
    check = config.get("picklescan_cross_check", True)
    if not isinstance(check, bool):
        raise ValueError("picklescan_cross_check must be true or false")
    new["picklescan_cross_check"] = check
    extra = config.get("extra_safe_globals", [])
    if isinstance(extra, str) or not isinstance(extra, list | tuple):
        raise ValueError("extra_safe_globals must be a list of strings")
    new["extra_safe_globals"] = [_validate_safe_entry(entry) for entry in extra]
    # Rebound, not mutated: a scan running meanwhile keeps the configuration it started with.
    _config, _policy = new, _Policy(new["extra_safe_globals"])


# --- Bounded reading ---------------------------------------------------------------------------


class _ScanLimitError(Exception):
    def __init__(self, limit: str, message: str) -> None:
        super().__init__(message)
        self.limit = limit


class _TruncatedError(Exception):
    pass


class _BadDataError(Exception):
    pass


class _CorruptError(Exception):
    """Compressed data that cannot be decompressed."""


class _Budget:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.exhausted = False

    def spend(self, count: int) -> None:
        self.used += count
        if self.used > self.limit:
            self.exhausted = True
            raise _ScanLimitError(
                "max_total_bytes", f"more than {self.limit} bytes would have to be read"
            )


class _Window:
    """A byte range of a shared file, read and seeked independently of other windows."""

    def __init__(self, fh: BinaryIO, start: int, length: int, max_read: int | None = None):
        self._fh = fh
        self._start = start
        self._length = max(0, length)
        self._pos = 0
        self._max_read = max_read

    def read(self, size: int | None = -1) -> bytes:
        left = self._length - self._pos
        if size is None or size < 0 or size > left:
            size = left
        if self._max_read is not None and size > self._max_read:
            raise _ScanLimitError("max_read", f"a header asks for {size} bytes at once")
        if size <= 0:
            return b""
        self._fh.seek(self._start + self._pos)
        data = self._fh.read(size)
        self._pos += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._length}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True


class _Guarded:
    """A member stream whose library errors (a damaged tar, say) read as corrupt data."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw

    def read(self, size: int = -1) -> bytes:
        try:
            return self._raw.read(size)
        except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
            raise _CorruptError(str(exc) or type(exc).__name__) from exc

    def seek(self, offset: int, whence: int = 0) -> int:
        try:
            return self._raw.seek(offset, whence)
        except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
            raise _CorruptError(str(exc) or type(exc).__name__) from exc


class _Inflater:
    """Decompresses a stream on demand, never more than asked for."""

    def __init__(self, raw: Any, method: str) -> None:
        self._raw = raw
        self._zlib: Any = None
        self._other: Any = None
        try:
            if method == "deflate":
                self._zlib = zlib.decompressobj(-15)
            elif method == "gzip":
                self._zlib = zlib.decompressobj(31)
            elif method == "bz2":
                self._other = bz2.BZ2Decompressor()
            elif method == "xz":
                self._other = lzma.LZMADecompressor()
            else:  # zip's LZMA: version (2 bytes), properties size (2), LZMA1 properties.
                header = raw.read(4)
                if len(header) < 4:
                    raise _CorruptError("truncated LZMA header")
                props = raw.read(struct.unpack("<H", header[2:4])[0])
                if len(props) < 5:
                    raise _CorruptError("truncated LZMA properties")
                lc_lp_pb, dict_size = props[0], struct.unpack("<I", props[1:5])[0]
                pb, rest = divmod(lc_lp_pb, 45)
                lp, lc = divmod(rest, 9)
                self._other = lzma.LZMADecompressor(
                    lzma.FORMAT_RAW,
                    filters=[
                        {
                            "id": lzma.FILTER_LZMA1,
                            "dict_size": dict_size,
                            "lc": lc,
                            "lp": lp,
                            "pb": pb,
                        }
                    ],
                )
        except (lzma.LZMAError, ValueError) as exc:
            raise _CorruptError(str(exc)) from exc
        self._done = False

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = _CHUNK
        try:
            return self._read(size)
        except (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError) as exc:
            raise _CorruptError(str(exc) or type(exc).__name__) from exc

    def _read(self, size: int) -> bytes:
        out = bytearray()
        if self._zlib is not None:
            while len(out) < size and not self._done:
                data = self._zlib.unconsumed_tail
                if not data:
                    data = self._raw.read(_CHUNK)
                    if not data:
                        out += self._zlib.flush()
                        self._done = True
                        break
                out += self._zlib.decompress(data, size - len(out))
                self._done = self._zlib.eof
            return bytes(out)
        while len(out) < size and not self._other.eof:
            data = b""
            if self._other.needs_input:
                data = self._raw.read(_CHUNK)
                if not data:
                    break
            out += self._other.decompress(data, size - len(out))
        return bytes(out)


class _Reader:
    """Forward reader with a byte budget; seeks over payloads when the raw stream can seek."""

    def __init__(self, raw: Any, budget: _Budget, *, size: int | None = None) -> None:
        self._raw = raw
        self._budget = budget
        self._size = size  # bytes from here to the end, when the raw stream can seek
        self._buf = b""
        self._i = 0
        self._chunk = _FIRST_CHUNK
        self.pos = 0
        self.consumed = 0
        self._cap: int | None = None

    def begin_stream(self, max_bytes: int) -> None:
        self._cap = self.consumed + max_bytes

    def end_stream(self) -> None:
        self._cap = None

    def _more(self, want: int) -> bool:
        chunk = self._raw.read(max(want, self._chunk))
        self._chunk = min(self._chunk * 2, _CHUNK)
        if not chunk:
            return False
        self._budget.spend(len(chunk))
        self._buf = self._buf[self._i :] + chunk
        self._i = 0
        return True

    def _advance(self, count: int) -> None:
        self._i += count
        self.pos += count
        self.consumed += count
        if self._cap is not None and self.consumed > self._cap:
            raise _ScanLimitError("max_stream_bytes", "the pickle stream is too long")

    def peek(self, count: int) -> bytes:
        while len(self._buf) - self._i < count:
            if not self._more(count - (len(self._buf) - self._i)):
                break
        return self._buf[self._i : self._i + count]

    def at_eof(self) -> bool:
        return not self.peek(1)

    def read_byte(self) -> int:
        if self._i >= len(self._buf) and not self._more(1):
            return -1
        value = self._buf[self._i]
        self._advance(1)
        return value

    def take(self, count: int) -> bytes:
        while len(self._buf) - self._i < count:
            if not self._more(count - (len(self._buf) - self._i)):
                raise _TruncatedError(f"the data ends inside a {count}-byte argument")
        data = self._buf[self._i : self._i + count]
        self._advance(count)
        return data

    def read_some(self, count: int) -> bytes:
        if self._i >= len(self._buf) and not self._more(count):
            return b""
        data = self._buf[self._i : self._i + count]
        self._advance(len(data))
        return data

    def read(self, size: int = -1) -> bytes:
        """File-like read, so that a decompressor can read through this reader."""
        return self.read_some(size if size is not None and size >= 0 else _CHUNK)

    def read_line(self, keep: int) -> bytes | None:
        """One line without its newline, or None when it is longer than ``keep`` bytes."""
        kept = bytearray()
        too_long = False
        while True:
            newline = self._buf.find(b"\n", self._i)
            end = len(self._buf) if newline < 0 else newline + 1
            if not too_long:
                kept += self._buf[self._i : end]
                too_long = len(kept) > keep + 1
            self._advance(end - self._i)
            if newline >= 0:
                return None if too_long else bytes(kept[:-1])
            if not self._more(1):
                raise _TruncatedError("the data ends inside a line argument")

    def skip(self, count: int) -> None:
        available = len(self._buf) - self._i
        if count <= available:
            self._i += count
            self.pos += count
            return
        self._buf, self._i = b"", 0
        self.pos += available
        count -= available
        if self._size is not None:
            left = max(0, self._size - self.pos)
            step = min(count, left)
            self._raw.seek(step, 1)
            self.pos += step
            if step < count:
                raise _TruncatedError("the data ends inside a payload")
            return
        while count:
            chunk = self._raw.read(min(count, _CHUNK))
            if not chunk:
                raise _TruncatedError("the data ends inside a payload")
            self._budget.spend(len(chunk))
            self.pos += len(chunk)
            count -= len(chunk)


# --- The opcode walker -------------------------------------------------------------------------

_OPCODES: dict[int, tuple[str, str | None]] = {
    ord(op.code): (op.name, op.arg.name if op.arg is not None else None)
    for op in pickletools.opcodes
}
_STRING_ARGS = {"string1", "string4", "unicodestring1", "unicodestring4", "unicodestring8"}
_LENGTH_PREFIX = {
    "string1": "<B", "bytes1": "<B", "unicodestring1": "<B",
    "string4": "<i", "bytes4": "<I", "unicodestring4": "<I",
    "bytes8": "<Q", "unicodestring8": "<Q", "bytearray8": "<Q",
}  # fmt: skip
_FIXED = {"uint1": "<B", "uint2": "<H", "int4": "<i", "uint4": "<I", "uint8": "<Q"}
_STRING_OPS = {
    "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING", "SHORT_BINSTRING",
    "BINSTRING",
}  # fmt: skip
_MUTATORS = {"BUILD", "SETITEM", "SETITEMS", "APPEND", "APPENDS", "ADDITEMS"}


class _Opaque:
    """A value the walker does not model; ``why`` says what it is, for findings."""

    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why


_OTHER = _Opaque("a value that is not a string")
_LONG_STRING = _Opaque(f"a string longer than {_KEEP_STRING} bytes")
_UNDERFLOW = _Opaque("nothing (the stack is empty)")
_MISSING_MEMO = _Opaque("a memo slot that was never set")


@dataclass(eq=False, slots=True)
class _GlobalUse:
    module: str
    name: str
    offset: int
    opcode: str
    count: int = 0
    calls: set[str] = field(default_factory=set)
    mutations: set[str] = field(default_factory=set)


@dataclass(eq=False, slots=True)
class _Unresolved:
    offset: int
    why: str
    module: str | None
    name: str | None
    calls: set[str] = field(default_factory=set)


@dataclass(eq=False, slots=True)
class _CallResult:
    callee: str


@dataclass(eq=False, slots=True)
class _Persistent:
    offset: int


@dataclass(eq=False, slots=True)
class _Extension:
    code: int


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"the string {value[:80]!r}"
    if isinstance(value, _GlobalUse):
        return f"the global {value.module}.{value.name}"
    if isinstance(value, _CallResult):
        return f"the result of calling {value.callee}"
    if isinstance(value, _Unresolved):
        return "an unresolved global"
    if isinstance(value, _Persistent):
        return "a persistent id"
    if isinstance(value, _Extension):
        return f"extension code {value.code}"
    if isinstance(value, _Opaque):
        return value.why
    return "a value that is not a string"


@dataclass(eq=False)
class _Stream:
    start: int
    end: int = 0
    opcodes: int = 0
    stopped: bool = False
    error: str | None = None
    error_offset: int | None = None
    stack_error: tuple[int, str] | None = None
    limit: tuple[str, str] | None = None
    value: int | None = None
    protocols: set[int] = field(default_factory=set)
    globals: dict[tuple[str, str], _GlobalUse] = field(default_factory=dict)
    unresolved: list[_Unresolved] = field(default_factory=list)
    extensions: dict[int, int] = field(default_factory=dict)
    indirect_calls: dict[str, tuple[int, set[str]]] = field(default_factory=dict)
    persistent_ids: int = 0

    @property
    def detected(self) -> bool:
        """Whether this is a pickle worth reporting: it ends properly or it imports something.

        Random bytes often parse as a few opcodes; a broken stream without a global cannot call
        anything when unpickled, so it is not reported.
        """
        return bool(
            self.stopped or self.globals or self.unresolved or self.extensions or self.limit
        )


def _is_dotted_name(text: str) -> bool:
    return bool(text) and all(part.isidentifier() for part in text.split("."))


def _decode_line(line: bytes | None) -> str | None:
    if line is None:
        return None
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _BadDataError("a global name is not UTF-8") from exc


_SIMPLE_ESCAPES = {
    ord("\\"): 0x5C, ord("'"): 0x27, ord('"'): 0x22, ord("a"): 0x07, ord("b"): 0x08,
    ord("f"): 0x0C, ord("n"): 0x0A, ord("r"): 0x0D, ord("t"): 0x09, ord("v"): 0x0B,
}  # fmt: skip
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")


def _unescape(data: bytes) -> bytes:
    """Python's string-escape decoding, as the unpickler applies it to STRING, without warnings."""
    out = bytearray()
    i, end = 0, len(data)
    while i < end:
        char = data[i]
        if char != 0x5C:
            out.append(char)
            i += 1
            continue
        if i + 1 >= end:
            raise ValueError("trailing backslash")
        escape, i = data[i + 1], i + 2
        if escape in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[escape])
        elif escape == 0x0A:
            pass  # an escaped newline continues the line
        elif 0x30 <= escape <= 0x37:
            value, digits = escape - 0x30, 1
            while digits < 3 and i < end and 0x30 <= data[i] <= 0x37:
                value, digits, i = value * 8 + data[i] - 0x30, digits + 1, i + 1
            out.append(value & 0xFF)
        elif escape == ord("x"):
            if i + 2 > end or not set(data[i : i + 2]) <= _HEX_DIGITS:
                raise ValueError("invalid \\x escape")
            out.append(int(data[i : i + 2], 16))
            i += 2
        else:
            out += bytes((0x5C, escape))
    return bytes(out)


def _read_arg(reader: _Reader, kind: str, opname: str) -> Any:
    fmt = _FIXED.get(kind)
    if fmt is not None:
        return struct.unpack(fmt, reader.take(struct.calcsize(fmt)))[0]
    if kind == "float8":
        reader.take(8)
        return None
    fmt = _LENGTH_PREFIX.get(kind)
    if fmt is not None:
        length = struct.unpack(fmt, reader.take(struct.calcsize(fmt)))[0]
        if length < 0:
            raise _BadDataError(f"{opname} has a negative length")
        if kind in _STRING_ARGS:
            if length > _KEEP_STRING:
                reader.skip(length)
                return _LONG_STRING
            data = reader.take(length)
            if kind.startswith("unicode"):
                try:
                    return data.decode("utf-8", "surrogatepass")
                except UnicodeDecodeError as exc:
                    raise _BadDataError(f"{opname} is not UTF-8") from exc
            return data.decode("latin-1")
        reader.skip(length)
        return None
    if kind in ("long1", "long4"):
        length = reader.take(1)[0] if kind == "long1" else struct.unpack("<i", reader.take(4))[0]
        if length < 0:
            raise _BadDataError(f"{opname} has a negative length")
        if length > 16:
            reader.skip(length)
            return None
        return int.from_bytes(reader.take(length), "little", signed=True)
    if kind == "stringnl_noescape_pair":
        module = _decode_line(reader.read_line(_KEEP_STRING))
        name = _decode_line(reader.read_line(_KEEP_STRING))
        for part in (module, name):
            if part is not None and not _is_dotted_name(part):
                raise _BadDataError(f"{opname} names {part[:80]!r}, which is not a Python name")
        return module, name
    line = reader.read_line(_KEEP_STRING)
    if kind in ("decimalnl_short", "decimalnl_long"):
        if line is None:
            return None
        text = line.rstrip(b"L") if kind == "decimalnl_long" else line
        if opname == "INT" and text in (b"00", b"01"):
            return None  # a bool
        try:
            return int(text)
        except ValueError as exc:
            raise _BadDataError(f"{opname} has a malformed number") from exc
    if kind == "floatnl":
        try:
            float(line or b"0")
        except ValueError as exc:
            raise _BadDataError("FLOAT has a malformed number") from exc
        return None
    if kind == "stringnl":
        if line is None:
            return _LONG_STRING
        if len(line) < 2 or line[:1] != line[-1:] or line[:1] not in (b"'", b'"'):
            raise _BadDataError("the STRING argument must be quoted")
        try:
            return _unescape(line[1:-1]).decode("latin-1")
        except ValueError as exc:
            raise _BadDataError("the STRING argument has a bad escape") from exc
    if kind == "unicodestringnl":
        if line is None:
            return _LONG_STRING
        try:
            return line.decode("raw-unicode-escape")
        except UnicodeDecodeError as exc:
            raise _BadDataError("the UNICODE argument has a bad escape") from exc
    if kind == "stringnl_noescape":  # PERSID
        if line is not None and not line.isascii():
            raise _BadDataError("a protocol 0 persistent id must be ASCII")
        return None
    raise _BadDataError(f"{opname} has an argument this walker does not know")


def _walk(reader: _Reader, *, max_stream_bytes: int, max_opcodes: int) -> _Stream:
    """Walk one pickle stream from the reader's position, never importing anything."""
    stream = _Stream(start=reader.pos)
    stack: list[Any] = []
    marks: list[int] = []
    memo: dict[int, Any] = {}
    offset = reader.pos

    def stack_error(message: str) -> None:
        if stream.stack_error is None:
            stream.stack_error = (offset, message)

    def pop() -> Any:
        if len(stack) > (marks[-1] if marks else 0):
            return stack.pop()
        stack_error("stack underflow: a real unpickler stops here")
        return _UNDERFLOW

    def top() -> Any:
        if len(stack) > (marks[-1] if marks else 0):
            return stack[-1]
        stack_error("stack underflow: a real unpickler stops here")
        return _UNDERFLOW

    def pop_mark() -> list[Any]:
        if not marks:
            stack_error("no MARK to pop to: a real unpickler stops here")
            return []
        at = marks.pop()
        items = stack[at:]
        del stack[at:]
        return items

    def memo_put(index: int | None, value: Any) -> None:
        if index is None or index < 0:
            raise _BadDataError("negative or malformed memo index")
        if value is _UNDERFLOW:
            return
        if index not in memo and len(memo) >= _MAX_MEMO:
            if stream.limit is None:
                stream.limit = ("max_memo", f"more than {_MAX_MEMO} memo entries")
            return
        memo[index] = value

    def call(target: Any, opname: str) -> None:
        if isinstance(target, _GlobalUse | _Unresolved):
            target.calls.add(opname)
        elif isinstance(target, _CallResult | _Persistent):
            what = _describe(target)
            if what not in stream.indirect_calls and len(stream.indirect_calls) < _MAX_RECORDS:
                stream.indirect_calls[what] = (offset, set())
            if what in stream.indirect_calls:
                stream.indirect_calls[what][1].add(opname)

    def note_global(module: str, name: str, opname: str) -> _GlobalUse:
        use = stream.globals.get((module, name))
        if use is None:
            if len(stream.globals) >= _MAX_GLOBALS:
                raise _ScanLimitError(
                    "max_globals", f"more than {_MAX_GLOBALS} distinct globals in one stream"
                )
            use = stream.globals[(module, name)] = _GlobalUse(module, name, offset, opname)
        use.count += 1
        return use

    def note_unresolved(module: Any, name: Any) -> _Unresolved:
        parts = []
        if not isinstance(module, str):
            parts.append(f"the module is {_describe(module)}")
        if not isinstance(name, str):
            parts.append(f"the name is {_describe(name)}")
        entry = _Unresolved(
            offset,
            "; ".join(parts),
            module if isinstance(module, str) else None,
            name if isinstance(name, str) else None,
        )
        if len(stream.unresolved) < _MAX_RECORDS:
            stream.unresolved.append(entry)
        return entry

    reader.begin_stream(max_stream_bytes)
    try:
        while True:
            if stream.opcodes >= max_opcodes:
                stream.limit = ("max_opcodes", f"more than {max_opcodes} opcodes")
                break
            offset = reader.pos
            code = reader.read_byte()
            if code < 0:
                stream.error = "the data ends before the STOP opcode"
                stream.error_offset = offset
                break
            op = _OPCODES.get(code)
            if op is None:
                stream.error = f"byte 0x{code:02x} is not a pickle opcode"
                stream.error_offset = offset
                break
            name, argkind = op
            stream.opcodes += 1
            arg = _read_arg(reader, argkind, name) if argkind is not None else None

            if name in ("BINPUT", "LONG_BINPUT", "PUT"):
                memo_put(arg, top())
            elif name in ("BINGET", "LONG_BINGET", "GET"):
                if arg not in memo:
                    stack_error(f"memo slot {arg} was never set: a real unpickler stops here")
                stack.append(memo.get(arg, _MISSING_MEMO))
            elif name == "MEMOIZE":
                memo_put(len(memo), top())
            elif name == "MARK":
                marks.append(len(stack))
            elif name in _STRING_OPS:
                stack.append(arg)
            elif name in ("BININT", "BININT1", "BININT2", "INT", "LONG", "LONG1", "LONG4"):
                stack.append(arg if isinstance(arg, int) else _OTHER)
            elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
                for _ in range(int(name[-1])):
                    pop()
                stack.append(_OTHER)
            elif name in ("TUPLE", "LIST", "DICT", "FROZENSET"):
                pop_mark()
                stack.append(_OTHER)
            elif name == "POP_MARK":
                pop_mark()
            elif name in _MUTATORS:
                if name in ("SETITEMS", "APPENDS", "ADDITEMS"):
                    pop_mark()
                else:
                    for _ in range(2 if name == "SETITEM" else 1):
                        pop()
                target = top()
                if isinstance(target, _GlobalUse):
                    target.mutations.add(name)
            elif name == "GLOBAL":
                module, gname = arg
                if module is None or gname is None:
                    stack.append(note_unresolved(module or _LONG_STRING, gname or _LONG_STRING))
                else:
                    stack.append(note_global(module, gname, name))
            elif name == "STACK_GLOBAL":
                gname, module = pop(), pop()
                if _UNDERFLOW in (gname, module):
                    stack.append(_OTHER)
                elif isinstance(module, str) and isinstance(gname, str):
                    stack.append(note_global(module, gname, name))
                else:
                    stack.append(note_unresolved(module, gname))
            elif name == "INST":
                module, gname = arg
                pop_mark()
                if module is None or gname is None:
                    target = note_unresolved(module or _LONG_STRING, gname or _LONG_STRING)
                else:
                    target = note_global(module, gname, name)
                call(target, name)
                stack.append(_CallResult(_describe(target).removeprefix("the global ")))
            elif name in ("REDUCE", "NEWOBJ", "NEWOBJ_EX", "OBJ"):
                if name == "OBJ":
                    items = pop_mark()
                    target = items[0] if items else _UNDERFLOW
                else:
                    for _ in range({"REDUCE": 1, "NEWOBJ": 1, "NEWOBJ_EX": 2}[name]):
                        pop()
                    target = pop()
                call(target, name)
                stack.append(_CallResult(_describe(target).removeprefix("the global ")))
            elif name == "DUP":
                stack.append(top())
            elif name == "POP":
                if marks and len(stack) == marks[-1]:
                    marks.pop()
                else:
                    pop()
            elif name == "PERSID":
                stream.persistent_ids += 1
                stack.append(_Persistent(offset))
            elif name == "BINPERSID":
                pop()
                stream.persistent_ids += 1
                stack.append(_Persistent(offset))
            elif name in ("EXT1", "EXT2", "EXT4"):
                stream.extensions.setdefault(arg, offset)
                stack.append(_Extension(arg))
            elif name == "PROTO":
                stream.protocols.add(arg)
            elif name == "FRAME" or name == "READONLY_BUFFER":
                pass
            elif name == "STOP":
                value = pop()
                stream.value = value if type(value) is int else None
                stream.stopped = True
                break
            else:  # constants and empty containers
                stack.append(_OTHER)
    except (_TruncatedError, _BadDataError) as exc:
        stream.error = str(exc)
        stream.error_offset = offset
    except _CorruptError as exc:
        stream.error = f"the compressed data is corrupt: {exc}"
        stream.error_offset = offset
    except _ScanLimitError as exc:
        stream.limit = (exc.limit, str(exc))
    finally:
        reader.end_stream()
    stream.end = reader.pos
    return stream


# --- Containers --------------------------------------------------------------------------------


def _looks_like_tar(head: bytes) -> bool:
    if len(head) < 512 or head[0] == 0:
        return False
    if head[257:262] == b"ustar":
        return True
    try:
        stored = int(head[148:156].replace(b"\0", b" ").strip() or b"-1", 8)
    except ValueError:
        return False
    unsigned = sum(head[:148]) + 8 * 32 + sum(head[156:512])
    return stored == unsigned


def _container_kind(head: bytes) -> str | None:
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "zip"
    if head[:6] == b"\x93NUMPY":
        return "npy"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:3] == b"BZh" and head[3:4].isdigit():
        return "bz2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[:6] == b"7z\xbc\xaf\x27\x1c":
        return "7z"
    if _looks_like_tar(head):
        return "tar"
    return None


def _zip_central_directory(fh: BinaryIO, size: int) -> tuple[int, int | None] | None:
    """(entries, central directory bytes or None if unknown) from the end record, if any."""
    tail_size = min(size, 65_535 + 22)
    fh.seek(size - tail_size)
    tail = fh.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    _, _, _, _, entries, cd_size, cd_offset, _ = struct.unpack("<4s4H2LH", tail[at : at + 22])
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        entries, cd_size = entries, None
        locator = tail[at - 20 : at] if at >= 20 else b""
        if locator[:4] == b"PK\x06\x07":
            (record_offset,) = struct.unpack("<Q", locator[8:16])
            fh.seek(record_offset)
            record = fh.read(56)
            if record[:4] == b"PK\x06\x06" and len(record) == 56:
                entries, cd_size = struct.unpack("<QQ", record[32:48])
    return entries, cd_size


def _join(label: str | None, name: str) -> str:
    return name if label is None else f"{label}!{name}"


@dataclass(eq=False)
class _GlobalReport:
    module: str
    name: str
    offset: int
    stream: int
    opcode: str
    opcodes: set[str] = field(default_factory=set)
    calls: set[str] = field(default_factory=set)
    mutations: set[str] = field(default_factory=set)
    count: int = 0


class _Scan:
    """One file's scan: what was found, member by member, and the bounds still left."""

    def __init__(self, config: Mapping[str, Any], policy: _Policy) -> None:
        self.config = config
        self.policy = policy
        self.budget = _Budget(config["max_total_bytes"])
        self.members = 0
        self.found_pickle = False
        self.globals: dict[tuple[str | None, str, str], _GlobalReport] = {}
        self.findings: dict[tuple[Any, ...], Finding] = {}

    @property
    def stopped(self) -> bool:
        return self.budget.exhausted

    def add(
        self, key: tuple[Any, ...], code: str, severity: Severity, message: str,
        member: str | None, **detail: Any,
    ) -> None:  # fmt: skip
        if (code, member, *key) not in self.findings:
            self.findings[(code, member, *key)] = Finding(
                code=f"pickle.{code}", severity=severity, message=message, member=member,
                detail=detail,
            )  # fmt: skip

    def limit(self, member: str | None, limit: str, message: str) -> None:
        self.add(
            (limit,), "scan_limit", Severity.HIGH,
            f"Could not be fully scanned: {message} ({limit}). What lies beyond was not "
            "examined.",
            member, limit=limit,
        )  # fmt: skip

    # Pickle streams ---------------------------------------------------------------------------

    def pickles(self, reader: _Reader, label: str | None, *, quiet: bool = False) -> bool:
        """Walk back-to-back pickles until the data stops looking like one."""
        found = False
        index = 0
        try:
            while not self.stopped and not reader.at_eof():
                stream = self.walk(reader)
                if not stream.detected:
                    break
                self.record(label, stream, index)
                found = True
                index += 1
                if not stream.stopped:
                    break
        except _ScanLimitError as exc:
            self.limit(label, exc.limit, str(exc))
        except _CorruptError as exc:
            if not quiet:
                self.unreadable(label, f"the compressed data is corrupt: {exc}")
        return found

    def walk(self, reader: _Reader) -> _Stream:
        return _walk(
            reader,
            max_stream_bytes=self.config["max_stream_bytes"],
            max_opcodes=self.config["max_opcodes"],
        )

    def record(self, label: str | None, stream: _Stream, index: int) -> None:
        self.found_pickle = True
        for use in stream.globals.values():
            report = self.globals.get((label, use.module, use.name))
            if report is None:
                report = self.globals[(label, use.module, use.name)] = _GlobalReport(
                    use.module, use.name, use.offset, index, use.opcode
                )
            report.opcodes.add(use.opcode)
            report.calls |= use.calls
            report.mutations |= use.mutations
            report.count += use.count
        for entry in stream.unresolved:
            self.unresolved(label, entry, index)
        for code, offset in stream.extensions.items():
            self.add(
                (code,), "extension_registry", Severity.HIGH,
                f"EXT opcode with extension code {code}: the object comes from the copyreg "
                "extension registry of whoever unpickles it and cannot be resolved here.",
                label, extension_code=code, offset=offset, stream=index,
            )  # fmt: skip
        for what, (offset, opcodes) in stream.indirect_calls.items():
            self.add(
                (what,), "indirect_call", Severity.HIGH,
                f"{what[0].upper()}{what[1:]} is called ({', '.join(sorted(opcodes))}): the "
                "callable is computed while unpickling, not named by a global.",
                label, callee=what, opcodes=sorted(opcodes), offset=offset, stream=index,
            )  # fmt: skip
        for protocol in sorted(p for p in stream.protocols if p > 5):
            self.add(
                (protocol,), "unsupported_protocol", Severity.HIGH,
                f"The PROTO opcode claims protocol {protocol}; no Python pickles above 5. The "
                "stream was crafted or damaged.",
                label, protocol=protocol, offset=stream.start, stream=index,
            )  # fmt: skip
        if stream.error is not None and not stream.stopped:
            self.add(
                ("parse",), "parse_error", Severity.HIGH,
                f"The pickle stream breaks at byte {stream.error_offset}: {stream.error}. What "
                "it imports before the break is reported; an unpickler runs it before failing.",
                label, offset=stream.error_offset, error=stream.error, stream=index,
            )  # fmt: skip
        if stream.stack_error is not None:
            offset, message = stream.stack_error
            self.add(
                ("stack",), "parse_error", Severity.HIGH,
                f"The pickle stream is malformed at byte {offset}: {message}. The walk went on "
                "and reports what follows too.",
                label, offset=offset, error=message, stream=index,
            )  # fmt: skip
        if stream.limit is not None:
            self.limit(label, *stream.limit)

    def unresolved(self, label: str | None, entry: _Unresolved, index: int) -> None:
        severity = Severity.HIGH
        if entry.module is not None:
            # A rule on the module itself (or a parent) covers whatever name it turns out to be.
            for rules in (DANGEROUS_GLOBALS, _PICKLESCAN_RULES):
                hit = _match_rule(entry.module, rules)
                if hit is not None and hit[1][0].rank > severity.rank:
                    severity = hit[1][0]
        self.add(
            (entry.why, entry.module, entry.name), "unresolvable_global", severity,
            f"A global cannot be resolved without running the pickle ({entry.why}); "
            "unpickling imports whatever it turns out to be.",
            label, module=entry.module, name=entry.name, reason=entry.why, offset=entry.offset,
            stream=index, called_by=sorted(entry.calls),
        )  # fmt: skip

    def unreadable(self, label: str | None, message: str, severity: Severity = Severity.HIGH):
        self.add(
            (message,), "unreadable_archive", severity,
            f"Could not be fully scanned: {message}.", label, error=message,
        )  # fmt: skip

    # Dispatch ---------------------------------------------------------------------------------

    def blob(self, fh: BinaryIO, size: int, label: str | None, depth: int) -> None:
        """A seekable file or spooled member: pickles from its first byte, then its container."""
        reader = _Reader(_Window(fh, 0, size), self.budget, size=size)
        try:
            head = reader.peek(_HEAD)
        except _ScanLimitError as exc:
            self.limit(label, exc.limit, str(exc))
            return
        kind = _container_kind(head)
        if kind != "npy":
            self.pickles(reader, label)
        if self.stopped:
            return
        if kind == "zip" or (kind is None and _zip_central_directory(fh, size) is not None):
            self.zip(fh, size, label, depth, prefixed=kind is None)
        elif kind == "tar":
            self.tar(fh, size, label, depth)
        elif kind is not None:
            self.member(_Reader(_Window(fh, 0, size), self.budget, size=size), label, depth)

    def member(self, reader: _Reader, label: str | None, depth: int, *, quiet=False) -> None:
        """A stream that may not seek: an archive member or decompressed data.

        ``quiet`` drops complaints about corrupt data, which encrypted data is expected to be.
        """
        try:
            kind = _container_kind(reader.peek(_HEAD))
            if kind in ("zip", "tar"):
                self.nested(reader, label, depth)
            elif kind in ("gzip", "bz2", "xz"):
                if depth + 1 > self.config["max_depth"]:
                    self.limit(label, "max_depth", f"{kind} data nested too deep")
                    return
                self.member(_Reader(_Inflater(reader, kind), self.budget), label, depth + 1)
            elif kind == "7z":
                self.unreadable(label, "7z archives are not opened", Severity.MEDIUM)
            elif kind == "npy":
                self.npy(reader, label)
            else:
                self.pickles(reader, label, quiet=quiet)
        except _ScanLimitError as exc:
            self.limit(label, exc.limit, str(exc))
        except _CorruptError as exc:
            if not quiet:
                self.unreadable(label, f"the compressed data is corrupt: {exc}")

    def nested(self, reader: _Reader, label: str | None, depth: int) -> None:
        if depth + 1 > self.config["max_depth"]:
            self.limit(label, "max_depth", f"archives nested more than {depth} deep")
            return
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
            while chunk := reader.read_some(_CHUNK * 16):
                spool.write(chunk)
            size = spool.tell()
            self.blob(spool, size, label, depth + 1)

    def zip(self, fh: BinaryIO, size: int, label: str | None, depth: int, *, prefixed: bool):
        directory = _zip_central_directory(fh, size)
        if directory is not None:
            _, cd_size = directory
            max_cd = max(1024 * 1024, self.config["max_members"] * 1024)
            if cd_size is not None and cd_size > max_cd:
                self.limit(label, "max_members", f"a {cd_size}-byte zip central directory")
                return
        try:
            archive = zipfile.ZipFile(fh)
        except Exception as exc:  # zipfile raises many types on hostile input
            if not prefixed:
                self.unreadable(label, f"the zip archive cannot be read: {exc}")
            return
        with archive:
            infos = archive.infolist()
            counts = Counter(info.orig_filename for info in infos)
            for name, count in counts.items():
                if count > 1:
                    self.add(
                        (name,), "duplicate_member", Severity.HIGH,
                        f"The zip archive has {count} members named {name!r}; loaders disagree "
                        "on which one they read. Every copy was scanned.",
                        _join(label, name), copies=count,
                    )  # fmt: skip
            for info in infos:
                if self.stopped:
                    return
                if info.is_dir():
                    continue
                self.members += 1
                if self.members > self.config["max_members"]:
                    self.limit(label, "max_members", "too many archive members")
                    return
                self.zip_member(fh, size, info, _join(label, info.orig_filename), depth)

    def zip_member(
        self, fh: BinaryIO, size: int, info: zipfile.ZipInfo, label: str, depth: int
    ) -> None:
        encrypted = bool(info.flag_bits & 0x1)
        if encrypted:
            # Lenient readers (picklescan's, for one) ignore the flag and read the bytes as they
            # are: so does this scan, quietly, in case the "encrypted" data is plain.
            self.add(
                (), "encrypted_member", Severity.HIGH,
                "The member is encrypted: it cannot be scanned and may hide a pickle.", label,
            )  # fmt: skip
        method = _ZIP_METHODS.get(info.compress_type)
        if method is None:
            self.add(
                (), "unsupported_compression", Severity.HIGH,
                f"The member uses compression method {info.compress_type}, which cannot be "
                "decompressed here: it was not scanned.",
                label, compress_type=info.compress_type,
            )  # fmt: skip
            return
        if not 0 <= info.header_offset < size:
            self.unreadable(label, "the member's local header lies outside the file")
            return
        fh.seek(info.header_offset)
        header = fh.read(_LOCAL_HEADER.size)
        if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
            self.unreadable(label, "the member's local header is missing")
            return
        fields = _LOCAL_HEADER.unpack(header)
        flags, name_length, extra_length = fields[2], fields[9], fields[10]
        raw_name = fh.read(name_length)
        local_name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", "replace")
        if local_name != info.orig_filename:
            self.add(
                (), "zip_name_mismatch", Severity.HIGH,
                f"The member is named {info.orig_filename!r} in the central directory but "
                f"{local_name!r} in its local header; tools that read one or the other see "
                "different files. Its data was scanned.",
                label, central_name=info.orig_filename, local_name=local_name,
            )  # fmt: skip
        start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
        length = min(info.compress_size, max(0, size - start))
        window = _Window(fh, start, length)
        try:
            if method == "stored":
                reader = _Reader(window, self.budget, size=length)
            else:
                reader = _Reader(_Inflater(window, method), self.budget)
        except _CorruptError as exc:
            if not encrypted:
                self.unreadable(label, f"the compressed data is corrupt: {exc}")
            return
        self.member(reader, label, depth, quiet=encrypted)

    def tar(self, fh: BinaryIO, size: int, label: str | None, depth: int) -> None:
        window = _Window(fh, 0, size, max_read=_MAX_TAR_READ)
        try:
            archive = tarfile.open(fileobj=window, mode="r:")  # noqa: SIM115
        except _ScanLimitError as exc:
            self.limit(label, exc.limit, str(exc))
            return
        except Exception as exc:  # tarfile raises many types on hostile input
            self.unreadable(label, f"the tar archive cannot be read: {exc}")
            return
        names: Counter[str] = Counter()
        with archive:
            while not self.stopped:
                try:
                    info = archive.next()
                except _ScanLimitError as exc:
                    self.limit(label, exc.limit, str(exc))
                    break
                except Exception as exc:  # a damaged header ends what can be read
                    self.unreadable(label, f"the tar archive is damaged: {exc}")
                    break
                if info is None:
                    break
                self.members += 1
                if self.members > self.config["max_members"]:
                    self.limit(label, "max_members", "too many archive members")
                    break
                names[info.name] += 1
                if not info.isreg():
                    continue
                member_label = _join(label, info.name)
                stream = archive.extractfile(info)
                if stream is None:
                    continue
                reader = _Reader(_Guarded(stream), self.budget, size=info.size)
                if PurePosixPath(info.name).name in ("storages", "tensors"):
                    self.torch_legacy(reader, member_label, PurePosixPath(info.name).name)
                else:
                    self.member(reader, member_label, depth)
        for name, count in names.items():
            if count > 1:
                self.add(
                    (name,), "duplicate_member", Severity.HIGH,
                    f"The tar archive has {count} members named {name!r}; loaders read the "
                    "last one. Every copy was scanned.",
                    _join(label, name), copies=count,
                )  # fmt: skip

    def torch_legacy(self, reader: _Reader, label: str, kind: str) -> None:
        """torch's legacy tar: pickled headers between raw tensor data, followed as torch does."""
        try:
            self._torch_legacy(reader, label, kind)
        except (_TruncatedError, struct.error):
            return  # torch stops here too, before anything else is unpickled
        except _ScanLimitError as exc:
            self.limit(label, exc.limit, str(exc))
        except _CorruptError as exc:
            self.unreadable(label, f"the data is corrupt: {exc}")

    def _torch_legacy(self, reader: _Reader, label: str, kind: str) -> None:
        index = 0

        def next_pickle() -> _Stream | None:
            nonlocal index
            stream = self.walk(reader)
            if stream.detected:
                self.record(label, stream, index)
            index += 1
            return stream if stream.stopped and not stream.limit else None

        first = next_pickle()
        if first is None or first.value is None:
            return
        count = first.value
        if count > self.config["max_members"]:
            self.limit(label, "max_members", f"{count} entries announced")
        for _ in range(max(0, min(count, self.config["max_members"]))):
            header = next_pickle()
            if header is None or self.stopped:
                return
            if kind == "tensors":
                (ndim,) = struct.unpack("<i", reader.take(4))
                if not 0 <= ndim <= 64:
                    return
                reader.skip(4 + 16 * ndim + 8)
                continue
            sizes = [
                _STORAGE_ELEMENT_SIZE[use.name]
                for use in header.globals.values()
                if use.module == "torch" and use.name in _STORAGE_ELEMENT_SIZE
            ]
            if len(sizes) != 1:
                self.limit(
                    label, "storage_layout",
                    "a storage header does not name exactly one known storage type, so the "
                    "rest of the member cannot be followed",
                )  # fmt: skip
                return
            (numel,) = struct.unpack("<q", reader.take(8))
            if numel < 0:
                return
            reader.skip(numel * sizes[0])
        if kind == "storages" and count <= self.config["max_members"]:
            next_pickle()  # the storage views

    def npy(self, reader: _Reader, label: str | None) -> None:
        try:
            head = reader.take(8)
            major = head[6]
            if major == 1:
                (length,) = struct.unpack("<H", reader.take(2))
            elif major in (2, 3):
                (length,) = struct.unpack("<I", reader.take(4))
            else:
                return  # numpy refuses other versions
            if length > _MAX_NPY_HEADER:
                self.limit(label, "npy_header", f"a {length}-byte .npy header")
                return
            header = reader.take(length)
        except _TruncatedError:
            return
        if _npy_has_objects(header, major):
            self.pickles(reader, label)


def _npy_has_objects(header: bytes, major: int) -> bool:
    """Whether an .npy header describes Python objects, which numpy stores as a pickle.

    A header that cannot be read is treated as if it did: the pickle walk then decides.
    """
    text = header.decode("utf-8" if major >= 3 else "latin-1", "replace")
    try:
        meta = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return True
    if not isinstance(meta, dict) or "descr" not in meta:
        return True
    return _descr_has_objects(meta["descr"], 0)


def _descr_has_objects(descr: Any, depth: int) -> bool:
    if depth > 32:
        return True
    if isinstance(descr, str):
        return descr.lstrip("<>|=").startswith("O")
    if isinstance(descr, list):
        return any(
            not isinstance(item, tuple) or len(item) < 2 or _descr_has_objects(item[1], depth + 1)
            for item in descr
        )
    if isinstance(descr, tuple) and descr:
        return _descr_has_objects(descr[0], depth + 1)
    return True


# --- Findings ----------------------------------------------------------------------------------

_NON_PICKLE_SUFFIXES = (
    ".safetensors", ".gguf", ".ggml", ".onnx", ".tflite", ".h5", ".hdf5", ".keras", ".json",
    ".txt", ".md", ".yaml", ".yml", ".toml", ".csv", ".png", ".jpg", ".jpeg", ".gif", ".webp",
    ".msgpack",
)  # fmt: skip
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
        with open(file.path, "rb") as fh:
            result = _picklescan.scan_bytes(fh, file.name, suffix)
        dangerous = _picklescan.SafetyLevel.Dangerous
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
    scan = _Scan(_config, _policy)
    with open(file.path, "rb") as fh:
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
