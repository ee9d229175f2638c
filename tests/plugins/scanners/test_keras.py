"""The Keras scanner, on .keras zips and HDF5-like files each test writes itself."""

import base64
import json
import marshal
import os
import zipfile
from pathlib import Path

import pytest

from governance.hookspecs import FileToScan, Severity
from plugins.scanners import keras
from plugins.scanners.keras import HDF5_MAGIC, hubgate_scan_file

# Bytecode of a harmless function, as Keras' func_dump encodes it; never loaded.
LAMBDA_CODE = base64.encodebytes(marshal.dumps((lambda x: x + 1).__code__)).decode()


def obj(module: str | None, class_name: str, config, registered_name=None) -> dict:
    return {
        "module": module,
        "class_name": class_name,
        "config": config,
        "registered_name": registered_name,
    }


def dense(name: str) -> dict:
    return obj(
        "keras.layers",
        "Dense",
        {
            "name": name,
            "units": 4,
            "activation": obj("keras.activations", "function", "relu", "function"),
            "kernel_initializer": obj("keras.initializers", "GlorotUniform", {"seed": None}),
            "dtype": obj("keras", "DTypePolicy", {"name": "float32"}),
        },
    )


def sequential(*layers: dict) -> dict:
    config = obj("keras", "Sequential", {"name": "sequential", "layers": list(layers)})
    config["build_config"] = {"input_shape": [None, 4]}
    config["compile_config"] = {
        "optimizer": obj("keras.optimizers", "Adam", {"learning_rate": 0.001}),
        "loss": obj("keras.losses", "MeanSquaredError", {"reduction": "sum_over_batch_size"}),
    }
    return config


BACKBONE = obj(
    "keras_hub.src.models.gemma.gemma_backbone",
    "GemmaBackbone",
    {"name": "gemma_backbone", "vocabulary_size": 256},
    "keras_hub>GemmaBackbone",
)
LAMBDA_V3 = obj(
    "keras.layers",
    "Lambda",
    {
        "name": "double_it",
        "function": {
            "class_name": "__lambda__",
            "config": {"code": LAMBDA_CODE, "defaults": None, "closure": None},
        },
    },
)


def write_keras(
    path: Path, config, *, members: dict | None = None, raw_config: bytes | None = None
) -> FileToScan:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.5.0"}))
        archive.writestr(
            "config.json", raw_config if raw_config is not None else json.dumps(config)
        )
        archive.writestr("model.weights.h5", HDF5_MAGIC + bytes(64))
        for name, content in (members or {}).items():
            archive.writestr(name, content)
    return FileToScan(path=path, name=path.name, size=path.stat().st_size)


def scan(file: FileToScan) -> list[tuple[str, Severity]] | None:
    findings = hubgate_scan_file(file)
    return None if findings is None else sorted((f.code, f.severity) for f in findings)


@pytest.fixture(autouse=True)
def _default_configuration():
    keras.hubgate_settings.apply({})
    yield
    keras.hubgate_settings.apply({})


# --- Keras v3 zip -------------------------------------------------------------------------


def test_plain_keras_model_is_clean(tmp_path: Path) -> None:
    file = write_keras(tmp_path / "m.keras", sequential(dense("d1"), dense("d2"), BACKBONE))
    assert scan(file) == []


def test_lambda_layer_is_critical_with_its_bytecode(tmp_path: Path) -> None:
    file = write_keras(tmp_path / "m.keras", sequential(dense("d1"), LAMBDA_V3))
    findings = hubgate_scan_file(file)
    assert sorted((f.code, f.severity) for f in findings) == [
        ("keras.lambda_bytecode", Severity.CRITICAL),
        ("keras.lambda_layer", Severity.CRITICAL),
    ]
    layer = next(f for f in findings if f.code == "keras.lambda_layer")
    assert layer.member == "config.json"
    assert layer.detail["layer"] == "double_it"
    assert layer.detail["path"] == "$.config.layers[1]"


def test_lambda_hidden_behind_json_unicode_escapes_is_still_found(tmp_path: Path) -> None:
    raw = json.dumps(sequential(LAMBDA_V3)).replace('"Lambda"', '"Lambd\\u0061"').encode()
    assert b"Lambda" not in raw
    file = write_keras(tmp_path / "m.keras", None, raw_config=raw)
    assert ("keras.lambda_layer", Severity.CRITICAL) in scan(file)


def test_base64_bytecode_under_any_function_key_is_critical(tmp_path: Path) -> None:
    custom = obj("keras.layers", "Dense", {"name": "d", "function": [LAMBDA_CODE, None, None]})
    file = write_keras(tmp_path / "m.keras", sequential(custom))
    assert scan(file) == [("keras.lambda_bytecode", Severity.CRITICAL)]


def test_function_key_holding_plain_text_is_not_bytecode(tmp_path: Path) -> None:
    layer = obj("keras.layers", "Activation", {"name": "a", "function": "relu"})
    assert scan(write_keras(tmp_path / "m.keras", sequential(layer))) == []


@pytest.mark.parametrize(
    "bad",
    [
        obj("os", "function", "system", "function"),
        obj("builtins", "function", "exec", "function"),
        obj("subprocess", "Popen", {"args": ["id"]}),
        obj("keras.layers", "Dense", {"name": "x"}, "subprocess>Popen"),
    ],
    ids=["os.system", "builtins.exec", "subprocess.Popen", "registered_name"],
)
def test_objects_from_dangerous_modules_are_critical(tmp_path: Path, bad: dict) -> None:
    findings = hubgate_scan_file(write_keras(tmp_path / "m.keras", sequential(dense("d"), bad)))
    assert [(f.code, f.severity) for f in findings] == [
        ("keras.dangerous_module", Severity.CRITICAL)
    ]


def test_dangerous_function_names_its_target(tmp_path: Path) -> None:
    config = sequential(obj("os", "function", "system", "function"))
    (finding,) = hubgate_scan_file(write_keras(tmp_path / "m.keras", config))
    assert finding.detail["module"] == "os"
    assert finding.detail["target"] == "system"


def test_custom_objects_outside_keras_are_high(tmp_path: Path) -> None:
    custom = obj("my_company.layers", "Attention", {"name": "attn"}, "Custom>Attention")
    found = scan(write_keras(tmp_path / "m.keras", sequential(custom)))
    assert found == [("keras.external_module", Severity.HIGH)] * 2  # module and registered_name


def test_not_keras_zips_are_not_its_business(tmp_path: Path) -> None:
    torch_like = tmp_path / "model.pt"
    with zipfile.ZipFile(torch_like, "w") as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    hf_like = tmp_path / "repo.zip"
    with zipfile.ZipFile(hf_like, "w") as archive:
        archive.writestr("config.json", json.dumps({"model_type": "bert"}))
    for path in (torch_like, hf_like):
        assert scan(FileToScan(path=path, name=path.name, size=path.stat().st_size)) is None


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b'{"class_name": ', "keras.config_invalid"),
        (b"\xff\xfe{}", "keras.config_invalid"),
        (b"[" * 100_000 + b"]" * 100_000, "keras.config_invalid"),
        (b'{"class_name": "Dense", "class_name": "Lambda"}', "keras.config_duplicate_key"),
    ],
    ids=["truncated", "not_utf8", "nested_too_deep", "duplicate_key"],
)
def test_config_that_cannot_be_trusted_is_high(tmp_path: Path, raw: bytes, code: str) -> None:
    assert scan(write_keras(tmp_path / "m.keras", None, raw_config=raw)) == [(code, Severity.HIGH)]


def test_config_above_the_limit_is_high(tmp_path: Path) -> None:
    keras.hubgate_settings.apply({"max_config_bytes": 100})
    file = write_keras(tmp_path / "m.keras", sequential(dense("d")))
    assert scan(file) == [("keras.config_too_large", Severity.HIGH)]


def test_every_copy_of_a_duplicated_config_is_scanned(tmp_path: Path) -> None:
    path = tmp_path / "m.keras"
    file = write_keras(path, sequential(LAMBDA_V3))
    with zipfile.ZipFile(path, "a") as archive, pytest.warns(UserWarning, match="Duplicate"):
        archive.writestr("config.json", json.dumps(sequential(dense("d"))))
    found = scan(FileToScan(path=path, name=path.name, size=path.stat().st_size))
    assert ("keras.duplicate_config", Severity.MEDIUM) in found
    assert ("keras.lambda_layer", Severity.CRITICAL) in found
    assert file.name == "m.keras"


def test_encrypted_config_is_high(tmp_path: Path) -> None:
    path = tmp_path / "m.keras"
    write_keras(path, sequential(dense("d")))
    data = bytearray(path.read_bytes())
    central = data.find(b"PK\x01\x02", data.find(b"PK\x01\x02") + 1)  # config.json's entry
    data[central + 8] |= 1  # general purpose flag bit 0: encrypted
    path.write_bytes(bytes(data))
    file = FileToScan(path=path, name=path.name, size=len(data))
    assert scan(file) == [("keras.config_unreadable", Severity.HIGH)]


@pytest.mark.parametrize(
    "bad",
    [{"max_config_bytes": 0}, {"max_config_bytes": "big"}, {"max_hdf5_scan_bytes": True}, {"x": 1}],
)
def test_invalid_configuration_is_rejected(bad: dict) -> None:
    with pytest.raises(ValueError):
        keras.hubgate_settings.apply(bad)


# --- Legacy HDF5 ----------------------------------------------------------------------------

LAMBDA_V2 = {
    "class_name": "Lambda",
    "config": {
        "name": "lambda",
        "function": [LAMBDA_CODE, None, None],
        "function_type": "lambda",
        "module": "__main__",
        "output_shape": None,
    },
}
DENSE_V2 = {"class_name": "Dense", "config": {"name": "dense", "units": 4}}


def write_h5(
    path: Path, model_config: dict | str | None, *, user_block: int = 0, filler: int = 3000
) -> FileToScan:
    """The HDF5 magic, binary filler, and the model_config attribute's JSON as h5py stores it."""
    content = bytearray(os.urandom(user_block)) + HDF5_MAGIC + bytes(os.urandom(filler))
    content += b"keras_version\x00\x00\x003.5.0\x00backend\x00tensorflow\x00"
    if model_config is not None:
        text = model_config if isinstance(model_config, str) else json.dumps(model_config)
        content += b"model_config\x00\x00\x00\x00" + text.encode() + b"\x00"
    content += os.urandom(filler)
    path.write_bytes(bytes(content))
    return FileToScan(path=path, name=path.name, size=len(content))


def keras2_model(*layers: dict) -> dict:
    return {"class_name": "Sequential", "config": {"name": "seq", "layers": list(layers)}}


def test_legacy_h5_model_without_lambda_is_clean(tmp_path: Path) -> None:
    assert scan(write_h5(tmp_path / "m.h5", keras2_model(DENSE_V2))) == []


def test_legacy_weights_only_file_is_clean(tmp_path: Path) -> None:
    assert scan(write_h5(tmp_path / "w.h5", None)) == []


def test_lambda_in_legacy_h5_is_critical(tmp_path: Path) -> None:
    findings = hubgate_scan_file(write_h5(tmp_path / "m.h5", keras2_model(DENSE_V2, LAMBDA_V2)))
    assert sorted((f.code, f.severity) for f in findings) == [
        ("keras.external_module", Severity.HIGH),  # "module": "__main__"
        ("keras.lambda_bytecode", Severity.CRITICAL),  # the function's bytecode
        ("keras.lambda_bytecode", Severity.CRITICAL),  # "function_type": "lambda"
        ("keras.lambda_layer", Severity.CRITICAL),
    ]
    assert all(isinstance(f.detail["offset"], int) for f in findings)


@pytest.mark.parametrize(
    "text",
    ['{"class_name":"Lambda"}', '{"class_name" :\n\t "Lambda"}', '{"class_name": "Lambd\\u0061"}'],
    ids=["compact", "spaced", "escaped_value"],
)
def test_lambda_is_found_however_the_json_is_spaced_or_escaped(tmp_path: Path, text: str) -> None:
    found = scan(write_h5(tmp_path / "m.h5", text))
    assert ("keras.lambda_layer", Severity.CRITICAL) in found


def test_escaped_key_is_reported_as_obfuscation(tmp_path: Path) -> None:
    found = scan(write_h5(tmp_path / "m.h5", '{"cl\\u0061ss_name": "Lambda"}'))
    assert found == [("keras.obfuscated_json", Severity.HIGH)]


def test_dangerous_module_in_legacy_h5_is_critical(tmp_path: Path) -> None:
    config = keras2_model({"module": "subprocess", "class_name": "Popen", "config": {}})
    assert scan(write_h5(tmp_path / "m.h5", config)) == [
        ("keras.dangerous_module", Severity.CRITICAL)
    ]


def test_hdf5_with_a_user_block_is_recognised(tmp_path: Path) -> None:
    file = write_h5(tmp_path / "m.h5", keras2_model(LAMBDA_V2), user_block=1024)
    assert ("keras.lambda_layer", Severity.CRITICAL) in scan(file)


def test_patterns_across_chunk_boundaries_are_found_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keras, "CHUNK", 1000)
    for filler in range(2990, 3010):
        file = write_h5(
            tmp_path / f"m{filler}.h5", keras2_model(DENSE_V2, LAMBDA_V2), filler=filler
        )
        codes = [code for code, _ in scan(file)]
        assert codes.count("keras.lambda_layer") == 1, filler


def test_hdf5_that_is_not_keras_is_not_its_business(tmp_path: Path) -> None:
    path = tmp_path / "data.h5"
    path.write_bytes(HDF5_MAGIC + os.urandom(5000))
    assert scan(FileToScan(path=path, name=path.name, size=5008)) is None


def test_file_larger_than_the_scan_limit_is_medium(tmp_path: Path) -> None:
    keras.hubgate_settings.apply({"max_hdf5_scan_bytes": 1500})
    file = write_h5(tmp_path / "m.h5", keras2_model(DENSE_V2), filler=1000)
    assert scan(file) == [("keras.hdf5_partially_scanned", Severity.MEDIUM)]


@pytest.mark.parametrize(
    "content",
    [b"", HDF5_MAGIC[:5], HDF5_MAGIC, os.urandom(4096), b"PK\x05\x06" + bytes(18)],
    ids=["empty", "truncated_magic", "magic_only", "random", "empty_zip"],
)
def test_empty_truncated_and_random_files_are_not_its_business(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "m.keras"
    path.write_bytes(content)
    assert scan(FileToScan(path=path, name=path.name, size=len(content))) is None


def test_truncated_keras_zip_is_left_to_the_archive_scanner(tmp_path: Path) -> None:
    path = tmp_path / "m.keras"
    write_keras(path, sequential(LAMBDA_V3))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert scan(FileToScan(path=path, name=path.name, size=len(data) // 2)) is None
