"""Identify a model file's format from its content, never from its name.

Reads the first bytes, and for zip and tar archives their member list; never the whole file.
"""

from __future__ import annotations

import io
import pickletools
import struct
import tarfile
import zipfile
from pathlib import Path

from governance.hookspecs import FileFormat

HEAD_SIZE = 64 * 1024
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_LEGACY_TORCH_TAR_MEMBERS = {"sys_info", "pickle", "storages", "tensors"}


def identify(path: Path) -> FileFormat:
    """The format of the file at ``path``."""
    with open(path, "rb") as fh:
        head = fh.read(HEAD_SIZE)
    if not head:
        return FileFormat.UNKNOWN
    if len(head) >= 9:
        (length,) = struct.unpack("<Q", head[:8])
        if 2 <= length < 2**40 and head[8:9] == b"{":
            return FileFormat.SAFETENSORS
    if head.startswith(b"GGUF"):
        return FileFormat.GGUF
    if head.startswith(b"\x93NUMPY"):
        return FileFormat.NUMPY_NPY
    if any(head[offset : offset + 8] == _HDF5_MAGIC for offset in (0, 512, 1024, 2048)):
        return FileFormat.HDF5
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return FileFormat.SEVEN_ZIP
    if head.startswith(b"\x1f\x8b"):
        return FileFormat.GZIP
    if zipfile.is_zipfile(path):
        return _zip_kind(path)
    if len(head) > 262 and head[257:262] == b"ustar":
        return _tar_kind(path)
    if _looks_like_pickle(head):
        return FileFormat.PICKLE
    if _looks_like_onnx(head):
        return FileFormat.ONNX
    return FileFormat.UNKNOWN


def _zip_kind(path: Path) -> FileFormat:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return FileFormat.ZIP
    if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
        return FileFormat.PYTORCH_ZIP
    if names and all(n.endswith(".npy") for n in names):
        return FileFormat.NUMPY_NPZ
    if "config.json" in names and any(n.endswith(".weights.h5") for n in names):
        return FileFormat.KERAS_ZIP
    return FileFormat.ZIP


def _tar_kind(path: Path) -> FileFormat:
    try:
        with tarfile.open(path, mode="r:") as archive:
            names = set()
            for member in archive:
                names.add(member.name)
                if len(names) > 64:
                    break
    except (tarfile.TarError, OSError, ValueError):
        return FileFormat.TAR
    return FileFormat.PYTORCH_LEGACY_TAR if names >= _LEGACY_TORCH_TAR_MEMBERS else FileFormat.TAR


def _looks_like_pickle(head: bytes) -> bool:
    """Protocol 2+ starts with PROTO; protocol 0/1 must parse as opcodes for a while."""
    if head[:1] == b"\x80" and len(head) > 1 and head[1] <= 5:
        return True
    if head[:1] not in b"(]}cK\x80ILFSVUNTX":
        return False
    try:
        for count, (opcode, _arg, _pos) in enumerate(pickletools.genops(io.BytesIO(head))):
            if opcode.name == "STOP" or count >= 16:
                return True
    except Exception:  # a parse error means: not a pickle we recognise
        return False
    return False


def _looks_like_onnx(head: bytes) -> bool:
    """ONNX ModelProto: field 1 (ir_version, varint) first, small, then more fields."""
    return (
        len(head) > 4
        and head[0] == 0x08
        and 1 <= head[1] <= 15
        and head[2] in (0x12, 0x1A, 0x22, 0x3A, 0x42)
    )
