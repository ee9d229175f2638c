"""Sign-in rate limits are per client, also behind the reverse proxy."""

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def _fail_login(client_ip: str) -> bool:
    """Whether this failed sign-in was refused by the rate limit."""
    response = Client().post(
        "/accounts/login/",
        {"login": "nobody", "password": "wrong"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=client_ip,
    )
    return response.status_code == 429 or b"Too many failed login attempts" in response.content


@override_settings(
    HUBGATE_TRUSTED_PROXIES=["10.0.0.0/8"], ACCOUNT_RATE_LIMITS={"login_failed": "2/m/ip"}
)
def test_one_clients_failed_sign_ins_do_not_lock_out_the_others() -> None:
    cache.clear()
    try:
        attacker = [_fail_login("203.0.113.1") for _ in range(4)]
        colleague = _fail_login("203.0.113.2")
    finally:
        cache.clear()
    assert attacker == [False, False, True, True]
    assert colleague is False
