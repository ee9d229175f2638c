"""`hubgate scan` and `manage.py scan` as a user runs them: separate processes, real files."""

import json
import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HUBGATE = Path(sys.executable).parent / "hubgate"
pytestmark = pytest.mark.slow


class Payload:
    """Pickles to a call of os.system; the test only ever pickles it, never unpickles."""

    def __reduce__(self):
        return (os.system, ("echo hubgate-test",))


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    header = json.dumps({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    good = tmp_path / "good.safetensors"
    good.write_bytes(struct.pack("<Q", len(header)) + header + bytes(4))
    evil = tmp_path / "evil.safetensors"
    evil.write_bytes(pickle.dumps(Payload(), protocol=2))
    return {"good": good, "evil": evil}


def test_hubgate_scan_works_offline_from_any_directory(files, tmp_path) -> None:
    result = run(str(HUBGATE), "scan", str(files["good"]), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "CLEAN" in result.stdout


def test_hubgate_scan_fails_on_a_dangerous_file_with_sarif(files, tmp_path) -> None:
    result = run(str(HUBGATE), "scan", "--format", "sarif", str(files["evil"]), cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    sarif = json.loads(result.stdout)
    levels = {r["level"] for r in sarif["runs"][0]["results"]}
    assert "error" in levels


def test_hubgate_scan_exit_2_for_a_missing_file(tmp_path) -> None:
    result = run(str(HUBGATE), "scan", "--format", "json", "nothing-here.ckpt", cwd=tmp_path)
    assert result.returncode == 2
    assert json.loads(result.stdout)["errors"] == {"nothing-here.ckpt": "not a readable file"}


def test_manage_py_scan_speaks_json(files) -> None:
    result = run(
        sys.executable, "manage.py", "scan", "--format", "json", str(files["good"]), cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["files"][0]["verdict"] == "clean"
