"""The one Retry-After parser, used by webhook deliveries and the CivitAI connector."""

from datetime import UTC, datetime

from governance.events.http import parse_retry_after

NOW = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)


def test_retry_after_is_seconds_or_an_http_date() -> None:
    assert parse_retry_after(" 7 ") == 7
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now=NOW) == 30
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now=NOW) == 0  # already past


def test_anything_else_is_no_answer() -> None:
    for value in (None, "", "soon", "-5", "1.5", "٣"):
        assert parse_retry_after(value, now=NOW) is None
