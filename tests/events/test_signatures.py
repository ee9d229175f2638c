"""The signature scheme receivers check: HMAC-SHA256 over timestamp and body, recent only."""

import hashlib
import hmac
import time

from governance.events.signatures import sign, verify_signature

SECRET = "whsec_test"
BODY = b'{"event":"version.approved","id":"1"}'


def test_a_fresh_signature_verifies() -> None:
    now = int(time.time())
    assert verify_signature(SECRET, str(now), BODY, sign(SECRET, now, BODY))


def test_a_tampered_body_fails() -> None:
    now = int(time.time())
    signature = sign(SECRET, now, BODY)
    assert not verify_signature(SECRET, now, BODY.replace(b"approved", b"rejected"), signature)


def test_another_secret_fails() -> None:
    now = int(time.time())
    assert not verify_signature("whsec_other", now, BODY, sign(SECRET, now, BODY))


def test_an_old_timestamp_fails_even_with_a_valid_signature() -> None:
    old = int(time.time()) - 301
    assert not verify_signature(SECRET, old, BODY, sign(SECRET, old, BODY))
    assert verify_signature(SECRET, old, BODY, sign(SECRET, old, BODY), tolerance=600)


def test_a_replayed_body_with_a_new_timestamp_fails() -> None:
    old = int(time.time()) - 3600
    captured = sign(SECRET, old, BODY)
    assert not verify_signature(SECRET, int(time.time()), BODY, captured)


def test_a_timestamp_from_the_future_fails() -> None:
    future = int(time.time()) + 301
    assert not verify_signature(SECRET, future, BODY, sign(SECRET, future, BODY))


def test_one_matching_signature_among_several_is_enough() -> None:
    now = int(time.time())
    header = f"{sign('whsec_old', now, BODY)}, {sign(SECRET, now, BODY)}"
    assert verify_signature(SECRET, now, BODY, header)


def test_garbage_headers_fail() -> None:
    assert not verify_signature(SECRET, "yesterday", BODY, "sha256=00")
    assert not verify_signature(SECRET, int(time.time()), BODY, "")


def test_the_signature_is_sha256_hex_over_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, 1700000000, BODY) == f"sha256={expected}"
