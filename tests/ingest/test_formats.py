"""Format identification from content; the file name never decides."""

import io
import json
import pickle
import struct
import tarfile
import zipfile

import pytest

from governance.hookspecs import FileFormat
from governance.ingest.formats import identify


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def tar_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


HEADER = json.dumps({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
SAMPLES = {
    FileFormat.SAFETENSORS: struct.pack("<Q", len(HEADER)) + HEADER + bytes(4),
    FileFormat.GGUF: b"GGUF" + struct.pack("<IQQ", 3, 0, 0),
    FileFormat.NUMPY_NPY: b"\x93NUMPY\x01\x00" + b"{'descr': '<f4'}",
    FileFormat.HDF5: b"\x89HDF\r\n\x1a\n" + bytes(100),
    FileFormat.SEVEN_ZIP: b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(30),
    FileFormat.GZIP: b"\x1f\x8b\x08\x00" + bytes(20),
    FileFormat.PICKLE: pickle.dumps({"weights": [1, 2, 3]}, protocol=4),
    FileFormat.PYTORCH_ZIP: zip_bytes(
        {"archive/data.pkl": pickle.dumps({}), "archive/version": b"3"}
    ),
    FileFormat.NUMPY_NPZ: zip_bytes({"a.npy": b"\x93NUMPY", "b.npy": b"\x93NUMPY"}),
    FileFormat.KERAS_ZIP: zip_bytes({"config.json": b"{}", "model.weights.h5": b"x"}),
    FileFormat.ZIP: zip_bytes({"readme.txt": b"hello"}),
    FileFormat.PYTORCH_LEGACY_TAR: tar_bytes(
        {"sys_info": b"x", "pickle": b"x", "storages": b"x", "tensors": b"x"}
    ),
    FileFormat.TAR: tar_bytes({"notes.txt": b"hello"}),
    FileFormat.ONNX: b"\x08\x07\x12\x07pytorch" + bytes(10),
    FileFormat.UNKNOWN: b"just some text, nothing to see",
}


@pytest.mark.parametrize("expected", list(SAMPLES))
def test_format_is_identified_from_content(tmp_path, expected: FileFormat) -> None:
    # A misleading name on purpose: content decides.
    path = tmp_path / "model.safetensors"
    path.write_bytes(SAMPLES[expected])
    assert identify(path) is expected


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 4, 5])
def test_pickles_of_every_protocol_are_recognised(tmp_path, protocol: int) -> None:
    path = tmp_path / "weights.bin"
    path.write_bytes(pickle.dumps({"layer": [1.0, 2.0], "name": "x"}, protocol=protocol))
    assert identify(path) is FileFormat.PICKLE


def test_empty_file_is_unknown(tmp_path) -> None:
    path = tmp_path / "empty"
    path.write_bytes(b"")
    assert identify(path) is FileFormat.UNKNOWN
