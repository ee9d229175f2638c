"""The audit key: a development default on a laptop, required in production."""

import pytest
from django.conf import settings

from tests.config.test_settings import GOOD_SECRET, run_manage

PRODUCTION = {"DJANGO_SECRET_KEY": GOOD_SECRET, "DJANGO_ALLOWED_HOSTS": "hubgate.example.com"}


def test_development_and_tests_run_with_a_fixed_audit_key() -> None:
    assert settings.HUBGATE_AUDIT_KEY == settings.INSECURE_DEFAULT_AUDIT_KEY


@pytest.mark.slow
@pytest.mark.parametrize("key", ["", "hubgate-development-only-audit-key", "short-key"])
def test_production_refuses_to_start_without_a_real_audit_key(key) -> None:
    result = run_manage("check", **PRODUCTION, HUBGATE_AUDIT_KEY=key)
    assert result.returncode != 0
    assert "Refusing to start in production mode" in result.stderr
    assert "HUBGATE_AUDIT_KEY must be set to a random value of 32+ characters" in result.stderr


@pytest.mark.slow
def test_production_starts_with_an_audit_key() -> None:
    result = run_manage("check", **PRODUCTION)  # run_manage gives a good key by default
    assert result.returncode == 0, result.stderr
