"""What a global is: the allow-list, the deny-list (ours and picklescan's), and the policy."""

from __future__ import annotations

from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from governance.hookspecs import Severity
from plugins.scanners.pickle_opcodes._reader import _MAX_GLOBALS

try:
    from picklescan import scanner as _picklescan
except ImportError:  # the baseline is a dependency, but the scanner must not need it to run
    _picklescan = None

# --- The policy: what a global is --------------------------------------------------------------

_STORAGE_ELEMENT_SIZE = {
    "DoubleStorage": 8,
    "FloatStorage": 4,
    "HalfStorage": 2,
    "BFloat16Storage": 2,
    "LongStorage": 8,
    "IntStorage": 4,
    "ShortStorage": 2,
    "CharStorage": 1,
    "ByteStorage": 1,
    "BoolStorage": 1,
    "ComplexDoubleStorage": 16,
    "ComplexFloatStorage": 8,
    "QUInt8Storage": 1,
    "QInt8Storage": 1,
    "QInt32Storage": 4,
    "QUInt4x2Storage": 1,
    "QUInt2x4Storage": 1,
}

_TORCH_DTYPES = (
    "float16",
    "float32",
    "float64",
    "bfloat16",
    "half",
    "float",
    "double",
    "complex64",
    "complex128",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "long",
    "int",
    "short",
    "bool",
)

_TORCH_TENSOR_KINDS = (
    "Double",
    "Float",
    "Half",
    "BFloat16",
    "Long",
    "Int",
    "Short",
    "Char",
    "Byte",
    "Bool",
)

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
        _C,
        _EXEC,
        "os",
        "posix",
        "nt",
        "subprocess",
        "_posixsubprocess",
        "_winapi",
        "msvcrt",
        "pty",
        "commands",
        "popen2",
        "platform",
        "sys",
        "runpy",
        "code",
        "codeop",
        "importlib",
        "imp",
        "zipimport",
        "pkgutil",
        "marshal",
        "types",
        "ctypes",
        "_ctypes",
        "cffi",
        "pdb",
        "bdb",
        "timeit",
        "cProfile",
        "profile",
        "_lsprof",
        "trace",
        "asyncio",
        "multiprocessing",
        "_multiprocessing",
        "concurrent",
        "_thread",
        "pip",
        "setuptools",
        "distutils",
        "ensurepip",
        "venv",
        "site",
        "_sitebuiltins",
        "pydoc",
        "doctest",
        "idlelib",
        "test",
        "gc",
        "rlcompleter",
        "readline",
        "getpass",
        "logging",
        "uuid",
        "_osx_support",
        "_aix_support",
        "_pyrepl",
        "builtins.eval",
        "builtins.exec",
        "builtins.compile",
        "builtins.open",
        "builtins.__import__",
        "builtins.getattr",
        "builtins.setattr",
        "builtins.delattr",
        "builtins.globals",
        "builtins.locals",
        "builtins.vars",
        "builtins.breakpoint",
        "builtins.input",
        "builtins.apply",
        "builtins.execfile",
        "builtins.file",
        "builtins.reload",
        "builtins.help",
        "builtins.exit",
        "builtins.quit",
    ),
    **_rules(
        _C,
        _OS,
        "shutil",
        "pathlib",
        "fileinput",
        "mmap",
        "fcntl",
        "resource",
        "signal",
        "_signal",
        "shelve",
        "dbm",
    ),
    **_rules(
        _C,
        _NET,
        "socket",
        "_socket",
        "ssl",
        "select",
        "selectors",
        "http",
        "urllib",
        "urllib2",
        "urllib3",
        "httplib",
        "requests",
        "httpx",
        "aiohttp",
        "ftplib",
        "smtplib",
        "telnetlib",
        "poplib",
        "imaplib",
        "nntplib",
        "xmlrpc",
        "socketserver",
        "webbrowser",
    ),
    **_rules(_C, _LOAD, "pickle", "_pickle", "cPickle", "dill", "joblib", "cloudpickle"),
    **_rules(
        _C,
        "loads or runs model code (torch.load and friends)",
        "torch.load",
        "torch.save",
        "torch.serialization",
        "torch.hub",
        "torch.storage._load_from_bytes",
        "torch.jit",
        "torch.package",
        "torch._inductor",
        "torch.utils.cpp_extension",
        "torch.utils.collect_env",
        "torch.utils.bottleneck",
        "torch.utils.data.datapipes",
        "torch.utils._config_module",
        "torch.distributed",
        "torch.multiprocessing",
        "torch._dynamo",
        "torch.fx",
        "torch.compile",
        "torch.library",
    ),
    **_rules(_H, _REACH, "torch.ops", "torch.classes", "torch._C", "torch._ops"),
    **_rules(
        _C,
        "loads, saves or evaluates through numpy",
        "numpy.load",
        "numpy.lib.npyio",
        "numpy.lib._npyio_impl",
        "numpy.lib.format",
        "numpy.testing",
        "numpy.f2py",
        "numpy.distutils",
        "numpy.ctypeslib",
        "numpy.save",
        "numpy.savez",
        "numpy.savez_compressed",
        "numpy.savetxt",
        "numpy.memmap",
    ),
    **_rules(_H, _OS, "numpy.fromfile", "numpy.loadtxt", "numpy.genfromtxt"),
    **_rules(
        _C,
        "loads pickles or evaluates expressions through pandas",
        "pandas.read_pickle",
        "pandas.io.pickle",
        "pandas.eval",
        "pandas.core.computation",
    ),
    **_rules(
        _C,
        "loads YAML that can construct arbitrary objects",
        "yaml.load",
        "yaml.load_all",
        "yaml.unsafe_load",
        "yaml.unsafe_load_all",
        "yaml.full_load",
        "yaml.full_load_all",
    ),
    **_rules(
        _C,
        "loads a model that can carry code",
        "keras.models.load_model",
        "keras.saving",
        "tensorflow.keras.models.load_model",
        "tensorflow.io",
        "tensorflow.saved_model",
    ),
    **_rules(
        _H,
        _GADGET,
        "operator",
        "_operator",
        "functools",
        "inspect",
        "threading",
        "copyreg.add_extension",
        "copyreg.remove_extension",
        "copyreg.clear_extension_cache",
        "copyreg.pickle",
        "copyreg.constructor",
    ),
    **_rules(
        _H,
        "opens files",
        "io",
        "_io",
        "codecs.open",
        "zipfile",
        "tarfile",
        "gzip.open",
        "gzip.GzipFile",
        "bz2.open",
        "bz2.BZ2File",
        "lzma.open",
        "lzma.LZMAFile",
        "sqlite3",
        "linecache",
    ),
    **_rules(_M, "creates temporary files", "tempfile"),
}


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
