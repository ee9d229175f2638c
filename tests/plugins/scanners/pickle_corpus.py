"""Pickles and containers for the pickle scanner's tests, built by hand or with pickle.dumps.

Nothing here unpickles anything. The payloads are inert: they would run ``echo hubgate-test``
if something unpickled them, and nothing does. Pickling an object whose ``__reduce__`` names
``os.system`` only writes opcodes; it is unpickling that would run them.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import tarfile
import zipfile
from pathlib import Path

from governance.hookspecs import FileToScan

COMMAND = "echo hubgate-test"
TORCH_MAGIC = 0x1950A86A20F9469CFC6C


class SystemCall:
    """Pickles as ``os.system("echo hubgate-test")``."""

    def __reduce__(self):
        return (os.system, (COMMAND,))


def payload(protocol: int = 2) -> bytes:
    return pickle.dumps(SystemCall(), protocol=protocol)


# --- Opcodes, for what pickle.dumps never writes ---------------------------------------------

MARK, STOP, POP, DUP = b"(", b".", b"0", b"2"
TUPLE, TUPLE1, TUPLE2, TUPLE3, EMPTY_TUPLE = b"t", b"\x85", b"\x86", b"\x87", b")"
EMPTY_DICT, SETITEMS, SETITEM, BUILD, REDUCE = b"}", b"u", b"s", b"b", b"R"
STACK_GLOBAL, MEMOIZE, BINPERSID, NEWFALSE = b"\x93", b"\x94", b"Q", b"\x89"


def proto(number: int) -> bytes:
    return b"\x80" + bytes([number])


def glob(module: str, name: str) -> bytes:
    return b"c" + f"{module}\n{name}\n".encode()


def inst(module: str, name: str) -> bytes:
    return b"i" + f"{module}\n{name}\n".encode()


def text(value: str) -> bytes:
    data = value.encode()
    if len(data) < 256:
        return b"\x8c" + bytes([len(data)]) + data
    return b"X" + struct.pack("<I", len(data)) + data


def binint(value: int) -> bytes:
    return b"K" + bytes([value]) if 0 <= value < 256 else b"J" + struct.pack("<i", value)


def binput(index: int) -> bytes:
    return b"q" + bytes([index])


def binget(index: int) -> bytes:
    return b"h" + bytes([index])


def call_system(module: bytes = b"", name: bytes = b"") -> bytes:
    """``module`` and ``name`` pushed by the caller, then STACK_GLOBAL and a call."""
    return module + name + STACK_GLOBAL + text(COMMAND) + TUPLE1 + REDUCE


def _tensor(key: str) -> bytes:
    storage = (
        MARK
        + text("storage")
        + glob("torch", "FloatStorage")
        + text(key)
        + text("cpu")
        + binint(4)
        + TUPLE
        + BINPERSID
    )
    return (
        glob("torch._utils", "_rebuild_tensor_v2")
        + MARK
        + storage
        + binint(0)
        + binint(2)
        + binint(2)
        + TUPLE2
        + binint(2)
        + binint(1)
        + TUPLE2
        + NEWFALSE
        + glob("collections", "OrderedDict")
        + EMPTY_TUPLE
        + REDUCE
        + TUPLE
        + REDUCE
    )


def state_dict_pickle() -> bytes:
    """What ``torch.save(model.state_dict())`` writes for two 2x2 float tensors, protocol 2."""
    parameter = (
        glob("torch._utils", "_rebuild_parameter")
        + MARK
        + _tensor("1")
        + NEWFALSE
        + glob("collections", "OrderedDict")
        + EMPTY_TUPLE
        + REDUCE
        + TUPLE
        + REDUCE
    )
    return (
        proto(2)
        + glob("collections", "OrderedDict")
        + binput(0)
        + EMPTY_TUPLE
        + REDUCE
        + binput(1)
        + MARK
        + text("layer.weight")
        + _tensor("0")
        + text("layer.bias")
        + parameter
        + SETITEMS
        + EMPTY_DICT
        + text("_metadata")
        + EMPTY_DICT
        + SETITEM
        + BUILD
        + STOP
    )


# --- Containers ------------------------------------------------------------------------------


def make_zip(members: list[tuple[str, bytes]], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def torch_zip(data_pkl: bytes, *, pickle_name: str = "archive/data.pkl") -> bytes:
    """PyTorch's zip format: stored members, the pickle, its storages and the version."""
    return make_zip(
        [
            (pickle_name, data_pkl),
            ("archive/byteorder", b"little"),
            ("archive/data/0", struct.pack("<4f", 1.0, 2.0, 3.0, 4.0)),
            ("archive/data/1", struct.pack("<4f", 0.5, 0.25, 0.125, 0.0)),
            ("archive/version", b"3\n"),
            ("archive/.data/serialization_id", b"1234567890123456789012345678901234567890"),
        ]
    )


def make_tar(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def legacy_storage_header(key: str, storage: str = "FloatStorage") -> bytes:
    return proto(2) + text(key) + text("cpu") + glob("torch", storage) + TUPLE3 + STOP


def legacy_torch_tar(
    main: bytes, *, second_storage_header: bytes | None = None, sys_info: bytes | None = None
) -> bytes:
    """torch's oldest format: a tar of sys_info, pickle, storages and tensors."""
    storages = (
        pickle.dumps(2, protocol=2)
        + legacy_storage_header("0")
        + struct.pack("<q", 4)
        + bytes(16)
        + (second_storage_header or legacy_storage_header("1"))
        + struct.pack("<q", 2)
        + bytes(8)
        + pickle.dumps([], protocol=2)
    )
    tensors = (
        pickle.dumps(1, protocol=2)
        + proto(2)
        + text("t0")
        + text("0")
        + glob("torch", "FloatTensor")
        + TUPLE3
        + STOP
        + struct.pack("<ii", 1, 0)
        + struct.pack("<qqq", 4, 1, 0)
    )
    return make_tar(
        [
            ("sys_info", sys_info or pickle.dumps({"little_endian": True}, protocol=2)),
            ("pickle", main),
            ("storages", storages),
            ("tensors", tensors),
        ]
    )


def legacy_torch_file(main: bytes, *, sys_info: bytes | None = None) -> bytes:
    """torch's pre-zip format: magic, protocol, sys_info, main pickle, storage keys, storages."""
    return (
        pickle.dumps(TORCH_MAGIC, protocol=2)
        + pickle.dumps(1001, protocol=2)
        + (sys_info or pickle.dumps({"protocol_version": 1001}, protocol=2))
        + main
        + pickle.dumps(["0"], protocol=2)
        + struct.pack("<q", 4)
        + struct.pack("<4f", 1.0, 2.0, 3.0, 4.0)
    )


def npy(descr: str | list, data: bytes, *, shape: str = "(1,)") -> bytes:
    header = f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': {shape}, }}"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + data


def patch_zip_local_name(data: bytes, old: str, new: str) -> bytes:
    """Rename a member in its local header only; the central directory keeps the old name."""
    assert len(old) == len(new)
    at = data.index(b"PK\x03\x04")
    while data[at + 30 : at + 30 + len(old)] != old.encode():
        at = data.index(b"PK\x03\x04", at + 4)
    return data[: at + 30] + new.encode() + data[at + 30 + len(old) :]


def patch_zip_headers(data: bytes, *, flag_bits: int = 0, method: int | None = None) -> bytes:
    """Set flag bits or the compression method in every local and central header."""
    out = bytearray(data)
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = out.find(signature)
        while at >= 0:
            (flags,) = struct.unpack_from("<H", out, at + flags_at)
            struct.pack_into("<H", out, at + flags_at, flags | flag_bits)
            if method is not None:
                struct.pack_into("<H", out, at + flags_at + 2, method)
            at = out.find(signature, at + 4)
    return bytes(out)


def write(tmp_path: Path, name: str, data: bytes, **kwargs) -> FileToScan:
    path = tmp_path / name.replace("/", "_")
    path.write_bytes(data)
    return FileToScan(path=path, name=name, size=len(data), **kwargs)
