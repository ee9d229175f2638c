"""Anonymous reading of the compatible API: on for a laptop and the demo, off in production."""

import pytest
from django.conf import settings

from tests.config.test_settings import GOOD_SECRET, run_manage


def test_the_demo_and_laptop_settings_open_the_company_catalog() -> None:
    assert settings.HUBGATE_COMPAT_ANONYMOUS_READ is True


@pytest.mark.slow
def test_production_closes_it_unless_explicitly_opened() -> None:
    code = "from django.conf import settings; print(settings.HUBGATE_COMPAT_ANONYMOUS_READ)"
    env = {"DJANGO_SECRET_KEY": GOOD_SECRET, "DJANGO_ALLOWED_HOSTS": "hubgate.example.com"}
    closed = run_manage("shell", "-c", code, **env)
    assert closed.stdout.strip().splitlines()[-1] == "False", closed.stderr
    opened = run_manage("shell", "-c", code, HUBGATE_COMPAT_ANONYMOUS_READ="true", **env)
    assert opened.stdout.strip().splitlines()[-1] == "True", opened.stderr
