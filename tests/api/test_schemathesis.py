"""Schemathesis fuzzes the live API from its own OpenAPI schema: no 5xx, and every response
(status, content type, headers, body) as the schema says. Bounded: few examples per operation
and a time budget per run (45 s in `make test`, 300 s in CI's service phase; set
HUBGATE_FUZZ_EXAMPLES and HUBGATE_FUZZ_SECONDS to fuzz longer:
`HUBGATE_FUZZ_SECONDS=600 pytest tests/api/test_schemathesis.py`), one worker, a fixed seed.

Every operation in the schema is fuzzed, licensing and connector jobs included; only revoking
the run's own key is left out. The CivitAI-compatible API (``/api/v1/…``) is not part of
this schema: it answers in CivitAI's shape, and its own tests hold it to that.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from governance.accounts.services import create_api_key
from tests.accounts.factories import UserFactory
from tests.api.conftest import fuzz_budget

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
#: Revoking the fuzzing key itself would leave the rest of the run with nothing but 401s.
OWN_KEY_REVOCATION = r"^/api/keys/\{id\}/revoke/"
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def fuzz(url: str, key: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    args = [
        str(SCHEMATHESIS),
        "run",
        f"{url}/api/schema/",
        "--header",
        f"Authorization: Bearer {key}",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        *fuzz_budget(),
        "--workers",
        "1",
        "--seed",
        "8",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
        "--report",
        "junit",
        "--report-junit-path",
        str(tmp_path / "schemathesis.xml"),
        *extra,
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks",
        "PYTHONPATH": str(ROOT),
        "NO_COLOR": "1",
    }
    return subprocess.run(args, capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)


def test_a_members_key_on_every_operation(world, live_server, tmp_path) -> None:
    """A team member's key with every non-admin scope (administrators' endpoints answer 403,
    which is documented too)."""
    _, key = create_api_key(
        user=world.company.alice, name="fuzz", scopes=["read", "request", "review", "ci"]
    )
    result = fuzz(
        live_server.url,
        key,
        tmp_path,
        "--exclude-path-regex",
        OWN_KEY_REVOCATION,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]


def test_an_administrators_key_on_every_operation(world, live_server, tmp_path) -> None:
    """An administrator's key: teams, memberships, service accounts, the audit log, and the
    lifecycle changes only administrators may make."""
    admin = UserFactory(username="fuzz-admin", is_staff=True)
    _, key = create_api_key(user=admin, name="fuzz", scopes=["admin"])
    result = fuzz(
        live_server.url,
        key,
        tmp_path,
        "--exclude-path-regex",
        OWN_KEY_REVOCATION,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
