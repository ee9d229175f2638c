"""The opcode walker: a tolerant, simulated unpickler that records globals and calls."""

from __future__ import annotations

import pickletools
import struct
from dataclasses import dataclass, field
from typing import Any

from plugins.scanners.pickle_opcodes._reader import (
    _KEEP_STRING,
    _MAX_GLOBALS,
    _MAX_MEMO,
    _MAX_RECORDS,
    _BadDataError,
    _CorruptError,
    _Reader,
    _ScanLimitError,
    _TruncatedError,
)

# --- The opcode walker -------------------------------------------------------------------------

_OPCODES: dict[int, tuple[str, str | None]] = {
    ord(op.code): (op.name, op.arg.name if op.arg is not None else None)
    for op in pickletools.opcodes
}
_STRING_ARGS = {"string1", "string4", "unicodestring1", "unicodestring4", "unicodestring8"}
_LENGTH_PREFIX = {
    "string1": "<B",
    "bytes1": "<B",
    "unicodestring1": "<B",
    "string4": "<i",
    "bytes4": "<I",
    "unicodestring4": "<I",
    "bytes8": "<Q",
    "unicodestring8": "<Q",
    "bytearray8": "<Q",
}
_FIXED = {"uint1": "<B", "uint2": "<H", "int4": "<i", "uint4": "<I", "uint8": "<Q"}
_STRING_OPS = {
    "SHORT_BINUNICODE",
    "BINUNICODE",
    "BINUNICODE8",
    "UNICODE",
    "STRING",
    "SHORT_BINSTRING",
    "BINSTRING",
}
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
    ord("\\"): 0x5C,
    ord("'"): 0x27,
    ord('"'): 0x22,
    ord("a"): 0x07,
    ord("b"): 0x08,
    ord("f"): 0x0C,
    ord("n"): 0x0A,
    ord("r"): 0x0D,
    ord("t"): 0x09,
    ord("v"): 0x0B,
}
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
