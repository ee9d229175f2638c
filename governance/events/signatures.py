"""How Hubgate signs webhook requests, and how a receiver checks them.

Every delivery is a ``POST`` whose body is the payload as canonical JSON (UTF-8, keys sorted,
no insignificant whitespace), with these headers::

    Content-Type: application/json
    User-Agent: Hubgate-Webhooks/1
    X-Hubgate-Event: version.approved
    X-Hubgate-Delivery: 1f0c…            (the payload's "id"; the same on every retry)
    X-Hubgate-Timestamp: 1767225600      (unix seconds when this attempt was signed)
    X-Hubgate-Signature: sha256=5e2b…

The signature is ``hex(HMAC-SHA256(secret, f"{timestamp}." + body))``, the secret being the
one the admin showed when the webhook was created (or its secret last rotated). Signing the
timestamp with the body is what stops replays: a captured request cannot be re-sent later
with a fresh timestamp without the secret, so a receiver

1. reads the raw body bytes (before any JSON parsing, which would change them),
2. calls :func:`verify_signature` with the two headers, which recomputes the HMAC, compares
   it in constant time and rejects a timestamp more than ``tolerance`` seconds (default five
   minutes) away from its own clock,
3. answers 2xx quickly, and treats ``X-Hubgate-Delivery`` as an idempotency key: delivery is
   at least once, so the same delivery can arrive twice (a retry after a lost answer).

The header may carry several comma-separated ``sha256=`` values; one match is enough. Hubgate
sends one, but a receiver written this way keeps working if signatures are ever sent under
two secrets during a rotation.

This module needs nothing but the standard library, so a receiver can copy it as is.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SCHEME = "sha256"


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``X-Hubgate-Signature`` value for ``body`` sent at ``timestamp``."""
    message = f"{timestamp}.".encode() + body
    return f"{SCHEME}=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    timestamp: int | str,
    body: bytes,
    signature: str,
    tolerance: int = 300,
    *,
    now: float | None = None,
) -> bool:
    """Whether ``signature`` is Hubgate's for ``body`` at ``timestamp``, and that is recent.

    :param secret: the webhook's secret.
    :param timestamp: the ``X-Hubgate-Timestamp`` header (unix seconds).
    :param body: the request body exactly as received.
    :param signature: the ``X-Hubgate-Signature`` header.
    :param tolerance: how many seconds ``timestamp`` may differ from now (replay window).
    :param now: the current unix time; the system clock when omitted.
    :returns: ``True`` only when a signature matches and the timestamp is within tolerance.
    """
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance:
        return False
    expected = sign(secret, sent_at, body)
    candidates = (part.strip() for part in (signature or "").split(","))
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
