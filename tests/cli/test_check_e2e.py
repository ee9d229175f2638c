"""`hubgate check` as a CI job runs it: a subprocess against a real server on 127.0.0.1.

Every verdict in every output format; JUnit validated against tests/fixtures/junit.xsd and
SARIF against the OASIS SARIF 2.1.0 JSON schema (tests/fixtures), both offline.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from governance.usage.models import UsageEvent
from tests.gates.world import EXPECTED, PROFILE

HUBGATE = Path(sys.executable).parent / "hubgate"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PASSING = [name for name, (verdict, _) in EXPECTED.items() if verdict == "pass"]

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def hubgate(*args: str, url: str, token: str, cwd: Path, **env: str):
    environ = {"PATH": os.environ["PATH"], "HUBGATE_URL": url, "HUBGATE_TOKEN": token, **env}
    return subprocess.run(
        [str(HUBGATE), "check", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def models(world, tmp_path) -> Path:
    """The world's files on disk, as a repository would hold them."""
    folder = tmp_path / "models"
    folder.mkdir()
    for name, data in world.data.items():
        (folder / f"{name}.safetensors").write_bytes(data)
    return folder


@pytest.fixture
def run(world, live_server, tmp_path):
    def call(*args: str, token: str | None = None, url: str | None = None, **env: str):
        return hubgate(
            *args, url=url or live_server.url, token=token or world.ci_key, cwd=tmp_path, **env
        )

    return call


def paths(*names: str) -> list[str]:
    return [f"models/{name}.safetensors" for name in names]


def test_text_every_verdict_and_exit_codes(run, models) -> None:
    passing = run(*paths(*PASSING), "--profile", PROFILE)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert passing.stdout.count("PASS  ") == 3 and "3 passed, 0 failed" in passing.stdout
    assert "[deprecated]" in passing.stdout and "[waived_finding]" in passing.stdout
    everything = run("models", "--profile", PROFILE)
    assert everything.returncode == 1, everything.stdout + everything.stderr
    for name, (verdict, _) in EXPECTED.items():
        line = next(ln for ln in everything.stdout.splitlines() if f"/{name}.safetensors" in ln)
        assert line.startswith(verdict.upper()), line
    for code in {c for _, codes in EXPECTED.values() for c in codes}:
        assert f"[{code}]" in everything.stdout, code
    assert "3 passed, 6 failed" in everything.stdout
    strict = run(*paths("deprecated"), "--profile", PROFILE, "--strict")
    assert strict.returncode == 1 and strict.stdout.startswith("hubgate check")


def test_json_names_each_item_by_hash_or_reference(world, run, models) -> None:
    version = world.versions["approved"]
    air = f"urn:air:sdxl:lora:civitai:{version.model.external_id}@{version.external_id}"
    url = f"https://civitai.com/models/{version.model.external_id}?modelVersionId={version.external_id}"
    refs = [air, url, str(version.pk), world.sha256("approved")[:10], "F" * 64]
    result = run("models", *refs, "--profile", PROFILE, "--format", "json")
    assert result.returncode == 1, result.stderr
    body = json.loads(result.stdout)
    assert (body["outcome"], body["exit_code"], body["passed"], body["failed"]) == ("fail", 1, 7, 7)
    by_path = {Path(item["path"]).stem: item for item in body["items"] if item.get("path")}
    for name, (verdict, codes) in EXPECTED.items():
        item = by_path[name]
        assert item["verdict"] == verdict, (name, item["reasons"])
        assert {r["code"]: r["level"] for r in item["reasons"]} == codes, name
        assert item["hash"] == world.sha256(name) and item["file"]["sha256"] == item["hash"]
    named = [item for item in body["items"] if not item.get("path")]
    assert [i["verdict"] for i in named] == ["pass"] * 4 + ["fail"]
    assert {i["version"]["id"] for i in named[:4]} == {version.pk}
    assert named[-1]["reasons"][0]["code"] == "not_in_catalog"


def test_junit_validates_against_the_schema(run, models) -> None:
    result = run("models", "--profile", PROFILE, "--format", "junit", "-o", "out/report.xml")
    assert result.returncode == 1, result.stderr
    report = (models.parent / "out" / "report.xml").read_text()
    schema = xmlschema.XMLSchema(FIXTURES / "junit.xsd")
    schema.validate(report)
    suite = schema.to_dict(report)["testsuite"][0]
    assert (suite["@tests"], suite["@failures"], suite["@errors"]) == (9, 6, 0)
    failures = {
        Path(case["@name"]).stem: case["failure"][0]["@type"]
        for case in suite["testcase"]
        if "failure" in case
    }
    assert failures["retired"] == "retired" and failures["quarantined"] == "quarantined"
    assert "6 failed" in result.stderr  # the text summary, for the job's log


def test_sarif_validates_against_the_sarif_2_1_0_schema(run, models) -> None:
    result = run("models", "--profile", PROFILE, "--format", "sarif")
    assert result.returncode == 1, result.stderr
    sarif = json.loads(result.stdout)
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema, cls=jsonschema.Draft4Validator)
    run_ = sarif["runs"][0]
    found = {
        (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["ruleId"], r["level"])
        for r in run_["results"]
    }
    expected = {
        (f"models/{name}.safetensors", code, level)
        for name, (_, codes) in EXPECTED.items()
        for code, level in codes.items()
        if level != "note"
    }
    assert found == expected
    assert {rule["id"] for rule in run_["tool"]["driver"]["rules"]} == {c for _, c, _ in found}
    assert all(len(a["hashes"]["sha-256"]) == 64 for a in run_["artifacts"])


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize("output_format", ["text", "json", "junit", "sarif"])
def test_unreachable_fails_closed_or_open(tmp_path, output_format) -> None:
    target = tmp_path / "m.safetensors"
    target.write_bytes(b"x")
    url = _closed_port()
    args = [str(target), "--profile", PROFILE, "--format", output_format, "--retries", "0"]
    closed = hubgate(*args, url=url, token="hg_x_y", cwd=tmp_path)
    assert closed.returncode == 2 and "unreachable" in closed.stdout + closed.stderr
    opened = hubgate(*args, "--fail-open", url=url, token="hg_x_y", cwd=tmp_path)
    assert opened.returncode == 0 and "unreachable" in opened.stdout + opened.stderr
    via_env = hubgate(*args, url=url, token="hg_x_y", cwd=tmp_path, HUBGATE_FAIL_OPEN="1")
    assert via_env.returncode == 0
    if output_format == "junit":
        for result, element in ((closed, "error"), (opened, "skipped")):
            xmlschema.XMLSchema(FIXTURES / "junit.xsd").validate(result.stdout)
            assert f"<{element} " in result.stdout
    if output_format == "sarif":
        schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text())
        for result in (closed, opened):
            sarif = json.loads(result.stdout)
            jsonschema.validate(sarif, schema, cls=jsonschema.Draft4Validator)
            assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_refusals_are_errors_even_when_failing_open(world, run, models) -> None:
    bad_key = run(*paths("approved"), "--profile", PROFILE, "--fail-open", token="hg_nope_nope")
    assert bad_key.returncode == 2 and "401" in bad_key.stdout
    read_only = run(*paths("approved"), "--profile", PROFILE, token=world.read_key)
    assert read_only.returncode == 2 and "403" in read_only.stdout
    missing = run("models/nothing.ckpt", "--profile", PROFILE)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    no_profile = run(*paths("approved"))
    assert no_profile.returncode == 2 and "--profile" in no_profile.stderr


def test_a_deployment_is_recorded_with_the_ci_jobs_metadata(world, run, models) -> None:
    github = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "acme/app",
        "GITHUB_SHA": "abc123",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "77",
        "GITHUB_REF_NAME": "main",
        "GITHUB_JOB": "deploy",
    }
    result = run(
        *paths("approved", "retired"),
        "--profile",
        PROFILE,
        "--record-deployment",
        "--environment",
        "production",
        **github,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    (event,) = UsageEvent.objects.filter(kind="deployment")
    assert event.version == world.versions["approved"] and event.user == world.bot
    assert event.metadata == {
        "provider": "github",
        "repository": "acme/app",
        "commit": "abc123",
        "ref": "main",
        "pipeline_url": "https://github.com/acme/app/actions/runs/77",
        "job": "deploy",
        "environment": "production",
        "profile": PROFILE,
        "item": "models/approved.safetensors",
    }
