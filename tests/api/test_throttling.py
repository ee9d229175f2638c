"""Anonymous rate limits key on the client address governance.net computes, not a raw header."""

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from governance.compat.views import CivitaiRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_per_minute(monkeypatch):
    monkeypatch.setattr(CivitaiRateThrottle, "THROTTLE_RATES", {"civitai": "2/min"})
    cache.clear()
    yield
    cache.clear()


def _get(remote: str, forwarded: str):
    # The CivitAI-compatible API answers anonymous callers (HUBGATE_COMPAT_ANONYMOUS_READ),
    # so they are limited per client address.
    return APIClient().get("/api/v1/models", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)


@override_settings(HUBGATE_TRUSTED_PROXIES=[])
def test_a_forged_forwarded_for_does_not_buy_a_fresh_bucket(two_per_minute) -> None:
    statuses = [_get("198.51.100.7", f"203.0.113.{n}").status_code for n in range(3)]
    assert statuses[-1] == 429, statuses


@override_settings(HUBGATE_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_clients_behind_a_trusted_proxy_get_a_bucket_each(two_per_minute) -> None:
    first = [_get("10.0.0.2", "203.0.113.1").status_code for _ in range(3)]
    other = _get("10.0.0.2", "203.0.113.2").status_code
    assert first[-1] == 429 and other != 429, (first, other)
