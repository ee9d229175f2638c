"""HTTP answers Hubgate reads when it talks to other servers: the one Retry-After parser.

It lives in events, the lowest app that needs it (webhook deliveries); the CivitAI
connector, a layer above, imports it from here. (The standalone CI client keeps its own
digits-only reading: it cannot import Hubgate.)
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP-date (a date
    in the past is 0); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
