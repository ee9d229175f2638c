"""The standalone client's own parts: hashing, what is a path and what a reference, CI
metadata, and what fail-open may let pass — against a small real HTTP server."""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hubgate_cli import ci, cli, hashing


def test_files_are_hashed_in_chunks_like_hashlib(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(hashing, "CHUNK_SIZE", 7)
    data = bytes(range(256)) * 41
    (tmp_path / "m.bin").write_bytes(data)
    assert hashing.sha256_of(tmp_path / "m.bin") == hashlib.sha256(data).hexdigest().upper()


def test_paths_are_hashed_and_everything_else_is_a_reference(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models" / ".git").mkdir(parents=True)
    (tmp_path / "models" / "b.safetensors").write_bytes(b"b")
    (tmp_path / "models" / "a.ckpt").write_bytes(b"a")
    (tmp_path / "models" / ".git" / "config").write_bytes(b"x")
    (tmp_path / "42").write_bytes(b"a file, not version 42")
    items = cli.items_for(
        [
            "models",
            "42",
            "43",
            "A" * 64,
            "urn:air:sdxl:lora:civitai:1@2",
            "https://civitai.com/models/1",
        ]
    )
    assert [i.get("path") for i in items[:3]] == ["models/a.ckpt", "models/b.safetensors", "42"]
    assert items[0]["hash"] == hashlib.sha256(b"a").hexdigest().upper()
    assert [("hash" if "hash" in i else "ref") for i in items[3:]] == ["ref", "hash", "ref", "ref"]
    with pytest.raises(cli.UsageError, match="no such file"):
        cli.items_for(["missing.safetensors"])


def test_ci_metadata_from_github_and_gitlab() -> None:
    assert ci.detect(
        {
            "GITLAB_CI": "true",
            "CI_PROJECT_PATH": "acme/app",
            "CI_COMMIT_SHA": "c1",
            "CI_PIPELINE_URL": "https://gl/p/1",
            "CI_JOB_NAME": "deploy",
        }
    ) == {
        "provider": "gitlab",
        "repository": "acme/app",
        "commit": "c1",
        "pipeline_url": "https://gl/p/1",
        "job": "deploy",
    }
    assert ci.detect({}) == {}
    assert ci.detect({"HUBGATE_ENVIRONMENT": "staging"}) == {"environment": "staging"}


class FakeHubgate(BaseHTTPRequestHandler):
    status = 503
    seen = 0

    def do_POST(self) -> None:
        type(self).seen += 1
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps(
            {
                "type": "urn:hubgate:problem:x",
                "title": "Nope",
                "status": self.status,
                "detail": "no",
                "code": "x",
                "errors": {"profile": ["bad"]},
            }
        ).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/problem+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def fake():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHubgate)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeHubgate.seen = 0
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("status", "closed", "opened", "tries"),
    [(503, 2, 0, 2), (429, 2, 0, 2), (400, 2, 2, 1), (401, 2, 2, 1)],
)
def test_only_an_unavailable_hubgate_may_fail_open(
    fake, tmp_path, capsys, status, closed, opened, tries
) -> None:
    FakeHubgate.status = status
    (tmp_path / "m").write_bytes(b"m")
    env = {"HUBGATE_URL": f"http://127.0.0.1:{fake.server_port}", "HUBGATE_TOKEN": "hg_x_y"}
    args = ["check", str(tmp_path / "m"), "--profile", "p", "--retries", "1"]
    assert cli.run_check(cli.build_parser().parse_args(args), env) == closed
    assert FakeHubgate.seen == tries
    assert cli.run_check(cli.build_parser().parse_args([*args, "--fail-open"]), env) == opened
    out = capsys.readouterr().out
    assert f"({status})" in out or str(status) in out
    if status == 400:
        assert "profile: bad" in out
