"""Lifecycle events out to people and systems: ``emit``, and sending what it recorded.

Decision: webhook deliveries are rows written in the caller's transaction (an outbox)
-------------------------------------------------------------------------------------
*Context.* An event reports a state change: a version approved, a waiver expired. A receiver
must hear of every change that committed and of none that rolled back, even when the broker
or the receiver is down at that moment.

*Decision.* ``emit`` runs inside the caller's transaction and writes one ``WebhookDelivery``
row per subscribed webhook there. Only after commit (``transaction.on_commit``) does it ask
Celery to send them. The row is the durable "this must be sent"; the Celery message is only a
wake-up call.

*Consequences.*

- A rolled-back change leaves neither a row nor a message. A committed change always leaves
  its rows, even when enqueueing fails after the commit (broker down):
  :func:`retry_overdue_deliveries` (Celery beat) re-queues pending rows left overdue.
- Delivery is at least once: a worker can die after the receiver got the request and before
  the row says so. Receivers deduplicate on ``X-Hubgate-Delivery``.
- Celery's retries and the sweeper can both queue the same delivery, so an attempt first
  claims the row (pending, due, not in flight elsewhere). A message that finds it delivered,
  failed, not yet due or in flight does nothing: a duplicate message never sends twice and
  never starts a second retry schedule.
- The HTTP request runs outside any transaction: a slow receiver must not hold a row lock
  (or, on SQLite, the whole database).
- E-mails are notifications to people, not integration: they are queued on commit without an
  outbox row, so one can be lost if the broker is down at that instant.

*Rejected.* Sending from the service or a ``post_save`` signal (sends for changes that roll
back, and makes the user's request wait for a receiver); enqueueing before commit (the worker
looks for a row that is not committed yet).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import get_connection, send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.template.loader import select_template
from django.utils import timezone

from governance.errors import Conflict
from governance.net import OutboundRefused, async_outbound_client

from .http import parse_retry_after
from .models import Webhook, WebhookDelivery, is_event_name, new_webhook_secret
from .selectors import webhooks_subscribed_to
from .signatures import sign

logger = logging.getLogger(__name__)

USER_AGENT = "Hubgate-Webhooks/1"
CONNECT_TIMEOUT_SECONDS = 5.0
#: Exponential backoff: 30 s, 1 min, 2 min … plus up to a quarter of it as jitter.
BACKOFF_BASE_SECONDS = 30.0
# Kept under Redis's default visibility timeout (1 h), past which a broker redelivers a
# message that waits for its countdown.
BACKOFF_MAX_SECONDS = 30 * 60.0
#: An attempt in flight holds its delivery this long beyond the request timeout.
LOCK_MARGIN_SECONDS = 30.0
#: A message may arrive this early (clocks of different hosts) and still be the one scheduled.
EARLY_TOLERANCE = timedelta(seconds=5)
#: A pending delivery this far past its due time lost its message: the sweeper re-queues it.
OVERDUE_AFTER = timedelta(minutes=2)
SWEEP_BATCH = 1000


# --- emitting --------------------------------------------------------------------------------


def emit(
    *,
    event: str,
    subject: Mapping[str, Any],
    actor: AbstractBaseUser | None = None,
    recipients: Iterable[AbstractBaseUser] = (),
) -> None:
    """Record ``event`` about ``subject`` for every subscribed webhook; send after commit.

    Call it inside the transaction that makes the change: if that rolls back, nothing is
    written and nothing is sent. ``recipients`` with an e-mail address are e-mailed.
    """
    if not is_event_name(event):
        raise ValueError(f"not a dotted lower-case event name: {event!r}")
    # Exactly what receivers will get: dates, UUIDs and decimals become strings here.
    subject_data = json.loads(json.dumps(dict(subject), cls=DjangoJSONEncoder))
    created_at = timezone.now()
    actor_name = actor.get_username() if actor is not None else None
    deliveries = []
    for webhook in webhooks_subscribed_to(event):
        delivery_id = uuid.uuid4()
        payload = {
            "id": str(delivery_id),
            "event": event,
            "created_at": created_at.isoformat(),
            "actor": actor_name,
            "subject": subject_data,
        }
        deliveries.append(
            WebhookDelivery(
                webhook=webhook,
                event=event,
                delivery_id=delivery_id,
                payload=payload,
                next_attempt_at=created_at,
            )
        )
    WebhookDelivery.objects.bulk_create(deliveries)
    if deliveries:
        delivery_ids = [str(d.delivery_id) for d in deliveries]

        def enqueue_deliveries() -> None:
            _enqueue(delivery_ids)

        # robust: the change is committed; a broker failure here is the sweeper's to repair.
        transaction.on_commit(enqueue_deliveries, robust=True)
    user_ids = sorted({user.pk for user in recipients if user.pk is not None})
    if user_ids:

        def enqueue_email() -> None:
            from .tasks import send_event_email_task

            send_event_email_task.delay(event, subject_data, user_ids)

        transaction.on_commit(enqueue_email, robust=True)


def _enqueue(delivery_ids: Iterable[str]) -> None:
    from .tasks import deliver_webhook_task

    for delivery_id in delivery_ids:
        deliver_webhook_task.delay(delivery_id)


# --- delivering ------------------------------------------------------------------------------


def canonical_json(payload: Mapping[str, Any]) -> bytes:
    """The request body: UTF-8 JSON with sorted keys and no insignificant whitespace."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class _Answer:
    """What one attempt got: an HTTP status, or an error before any status."""

    status_code: int | None = None
    retry_after: float | None = None
    error: str = ""
    retryable_error: bool = True


def attempt_delivery(*, delivery_id: uuid.UUID | str) -> float | None:
    """Make one attempt at a pending delivery; return the seconds until the next, or None.

    None means nothing more is to be scheduled by this caller: the delivery succeeded, failed
    for good (a 4xx other than 408/429, or the last allowed attempt), or was not this call's
    to send (already finished, not yet due, or in flight in another worker).
    """
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    answer = _send(delivery)
    return _record(delivery, answer)


def _timeout() -> float:
    return float(settings.HUBGATE_WEBHOOK_TIMEOUT_SECONDS)


def _claim(delivery_id: uuid.UUID | str) -> WebhookDelivery | None:
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update().filter(delivery_id=delivery_id).first()
        )
        if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
            return None  # a redelivered message for a finished delivery: never send it again
        if delivery.locked_until is not None and delivery.locked_until > now:
            return None  # in flight in another worker, which schedules what comes next
        if (
            delivery.next_attempt_at is not None
            and delivery.next_attempt_at > now + EARLY_TOLERANCE
        ):
            return None  # a duplicate message: the attempt that set this queued its own retry
        webhook = Webhook.objects.get(pk=delivery.webhook_id)
        if not webhook.active:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.last_error = "The webhook was deactivated before this delivery was sent."
            delivery.next_attempt_at = None
            delivery.save(update_fields=["status", "last_error", "next_attempt_at"])
            return None
        delivery.attempts += 1
        delivery.locked_until = now + timedelta(seconds=_timeout() + LOCK_MARGIN_SECONDS)
        delivery.save(update_fields=["attempts", "locked_until"])
    delivery.webhook = webhook
    return delivery


def _send(delivery: WebhookDelivery) -> _Answer:
    body = canonical_json(delivery.payload)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Hubgate-Event": delivery.event,
        "X-Hubgate-Delivery": str(delivery.delivery_id),
        "X-Hubgate-Timestamp": str(timestamp),
        "X-Hubgate-Signature": sign(delivery.webhook.secret, timestamp, body),
    }
    total = _timeout()
    try:
        # asyncio only for a deadline on the whole exchange: httpx's own timeouts apply to each
        # network operation, so a receiver answering a byte at a time would never time out.
        return asyncio.run(
            asyncio.wait_for(_post(delivery.webhook.url, body, headers, total), timeout=total)
        )
    except TimeoutError:
        return _Answer(error=f"No complete answer within {total:g} s.")
    except OutboundRefused as exc:
        # An internal or metadata address (after DNS): fixing it takes an administrator.
        return _Answer(error=f"Refused: {exc}", retryable_error=False)
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        return _Answer(error=f"{type(exc).__name__}: {exc}", retryable_error=False)
    except httpx.HTTPError as exc:
        return _Answer(error=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    except Exception as exc:
        logger.exception("Webhook delivery %s: unexpected error", delivery.delivery_id)
        return _Answer(error=f"{type(exc).__name__}: {exc}")


async def _post(url: str, body: bytes, headers: dict[str, str], total: float) -> _Answer:
    timeout = httpx.Timeout(total, connect=min(CONNECT_TIMEOUT_SECONDS, total))
    # The answer's body is never read or kept: only its status counts, and a receiver's (or
    # an internal service's) page must not be shown to whoever reads the delivery log.
    async with (
        async_outbound_client(timeout=timeout, follow_redirects=False) as client,
        client.stream("POST", url, content=body, headers=headers) as response,
    ):
        code = response.status_code
        return _Answer(
            status_code=code,
            retry_after=(
                parse_retry_after(response.headers.get("retry-after"))
                if code in (429, 503)
                else None
            ),
        )


def _text(data: bytes) -> str:
    # PostgreSQL text cannot hold NUL.
    return data.decode("utf-8", errors="replace").replace("\x00", "")


def _countdown(attempt: int, retry_after: float | None) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
    if retry_after is not None:
        return min(max(retry_after, 1.0), BACKOFF_MAX_SECONDS)
    delay = min(BACKOFF_BASE_SECONDS * 2 ** (attempt - 1), BACKOFF_MAX_SECONDS)
    return delay + random.uniform(0, delay / 4)


def _record(delivery: WebhookDelivery, answer: _Answer) -> float | None:
    code = answer.status_code
    now = timezone.now()
    countdown: float | None = None
    if code is not None and 200 <= code < 300:
        status, error = WebhookDelivery.Status.DELIVERED, ""
    else:
        if code is None:
            error, retryable = answer.error, answer.retryable_error
        elif 300 <= code < 400:
            error, retryable = f"HTTP {code}: redirects are not followed", False
        else:
            error, retryable = f"HTTP {code}", code in (408, 429) or code >= 500
        max_attempts = settings.HUBGATE_WEBHOOK_MAX_ATTEMPTS
        if retryable and delivery.attempts < max_attempts:
            status = WebhookDelivery.Status.PENDING
            countdown = _countdown(delivery.attempts, answer.retry_after)
        else:
            status = WebhookDelivery.Status.FAILED
            if retryable:
                error = f"{error} (gave up after {delivery.attempts} attempts)"
            elif code is not None:
                error = f"{error} (permanent)"
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status,
        last_status_code=code,
        last_error=_text(error.encode())[:500],
        locked_until=None,
        next_attempt_at=now + timedelta(seconds=countdown) if countdown is not None else None,
        delivered_at=now if status == WebhookDelivery.Status.DELIVERED else None,
    )
    logger.info(
        "Webhook delivery %s (%s) to webhook %s, attempt %s: %s%s",
        delivery.delivery_id,
        delivery.event,
        delivery.webhook_id,
        delivery.attempts,
        status,
        f", {error}" if error else "",
    )
    return countdown


def retry_overdue_deliveries() -> int:
    """Queue pending deliveries whose attempt is overdue (lost message or worker); how many."""
    now = timezone.now()
    overdue = WebhookDelivery.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now),
        status=WebhookDelivery.Status.PENDING,
        next_attempt_at__lt=now - OVERDUE_AFTER,
    ).order_by("next_attempt_at")
    delivery_ids = [str(d) for d in overdue.values_list("delivery_id", flat=True)[:SWEEP_BATCH]]
    _enqueue(delivery_ids)
    return len(delivery_ids)


def redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send ``delivery``'s payload again as a new delivery with a new id; returns it."""
    webhook = delivery.webhook
    if not webhook.active:
        raise Conflict(f"The webhook {webhook} is inactive; activate it before redelivering.")
    delivery_id = uuid.uuid4()
    with transaction.atomic():
        copy = WebhookDelivery.objects.create(
            webhook=webhook,
            event=delivery.event,
            delivery_id=delivery_id,
            payload={**delivery.payload, "id": str(delivery_id)},
            next_attempt_at=timezone.now(),
            redelivery_of=delivery,
        )
        transaction.on_commit(lambda: _enqueue([str(delivery_id)]), robust=True)
    return copy


def rotate_webhook_secret(*, webhook: Webhook) -> str:
    """Give ``webhook`` a new secret, used from its next attempt on; returns it (show it once)."""
    secret = new_webhook_secret()
    Webhook.objects.filter(pk=webhook.pk).update(secret=secret)
    webhook.secret = secret
    return secret


# --- e-mail ----------------------------------------------------------------------------------


def send_event_email(*, event: str, subject: Mapping[str, Any], user_ids: Iterable[int]) -> int:
    """E-mail ``event`` to those of ``user_ids`` who are active and have an address; how many.

    The body is ``events/email/<event>.txt``, or ``events/email/default.txt`` when the event
    has no template of its own; both see ``event``, ``subject`` and the recipient ``user``.
    """
    if not is_event_name(event):
        raise ValueError(f"not a dotted lower-case event name: {event!r}")
    users = (
        get_user_model()
        .objects.filter(pk__in=list(user_ids), is_active=True)
        .exclude(email="")
        .order_by("pk")
    )
    users = list(users)
    if not users:
        return 0
    template = select_template([f"events/email/{event}.txt", "events/email/default.txt"])
    title = _email_subject(event, subject)
    sent = 0
    with get_connection() as connection:
        for user in users:
            body = template.render({"event": event, "subject": subject, "user": user})
            body = re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"
            sent += send_mail(title, body, None, [user.email], connection=connection)
    return sent


def _email_subject(event: str, subject: Mapping[str, Any]) -> str:
    label = subject.get("name") or subject.get("title") or subject.get("id")
    title = f"[Hubgate] {event}" + (f": {label}" if label not in (None, "") else "")
    return " ".join(title.split())[:200]  # no line breaks in a header
