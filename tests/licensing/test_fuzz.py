"""Schemathesis fuzzes the licensing API from its own OpenAPI schema: no 5xx, and every
response (status, content type, headers, body) as the schema says."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from governance.accounts.services import create_api_key
from governance.approvals import services as approvals
from governance.licensing import services
from governance.licensing.models import IntendedUse
from tests.api.conftest import fuzz_budget

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
PATHS = (
    r"^/api/(licenses|license-base-models|intended-uses|license-evaluations|license-decisions"
    r"|compliance-reports)/"
)
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


@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis is not installed")
def test_the_licensing_api_answers_as_its_schema_says(
    company, stored_version, live_server, tmp_path, django_capture_on_commit_callbacks
) -> None:
    version = stored_version(base_model="SD 3.5 Large")
    with django_capture_on_commit_callbacks(execute=True):
        approvals.request_model(
            requester=company.alice,
            team=company.team,
            version=version,
            intended_use="commercial-products",
        )
        services.record_license_decision(
            version=version,
            intended_use=IntendedUse.objects.get(slug="commercial-products"),
            decided_by=company.lee,
            outcome="compliant",
            justification="Below USD 1M.",
            expires_at=timezone.now() + timedelta(days=30),
        )
    _, key = create_api_key(user=company.lee, name="fuzz", scopes=["read", "review"])
    args = [
        str(SCHEMATHESIS),
        "run",
        f"{live_server.url}/api/schema/",
        "--header",
        f"Authorization: Bearer {key}",
        "--checks",
        CHECKS,
        "--include-path-regex",
        PATHS,
        "--phases",
        "examples,coverage,fuzzing",
        *fuzz_budget(examples=8, seconds=None),  # one pass: ~40 s
        "--workers",
        "1",
        "--seed",
        "7",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    result = subprocess.run(
        args, capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
