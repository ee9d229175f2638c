"""Recording usage and folding it into daily counters.

Decision: one INSERT by default, a queued task on request, never a lost event
-----------------------------------------------------------------------------
A usage event is one INSERT in its own savepoint (``HUBGATE_USAGE_RECORDING = "insert"``),
done when the response that serves the use is closed (``after=response``): the WSGI server
closes it once the last byte is sent, so the download it describes never waits for it
(benchmarks/bench_usage_recording.py); without a response it is done at once. A crash of
the process between the last byte and the INSERT loses that one event, as a crash just
before an in-request INSERT would.

A site whose database is remote may choose ``"queue"``: the event is handed to a Celery
task after commit with the time it happened; when the broker cannot take the message
(down, unreachable) the same INSERT is done right there instead, and for the next 30 s every
event goes straight to the INSERT (a broker client may retry for seconds before it gives
up; one request per pause pays that, not every download). Either way a failure to record
is logged and never breaks the download it describes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Count
from django.http import HttpResponseBase
from django.utils import timezone

from governance.catalog.models import ModelVersion

from .models import DailyUsage, UsageEvent
from .selectors import first_team_of

logger = logging.getLogger(__name__)


def record_usage(
    *,
    kind: str,
    version,
    user=None,
    team=None,
    file=None,
    client: str = "",
    metadata: Mapping[str, Any] | None = None,
    after: HttpResponseBase | None = None,
) -> UsageEvent | None:
    """Record one use of ``version``; returns the event when written now, ``None`` when
    deferred or queued (or when writing failed, which is logged, never raised to the caller).

    With ``after`` (the response that serves the use, e.g. a download), the event is written
    when that response is closed: a WSGI server closes it after sending the last byte, so
    the client never waits for the INSERT. No query besides the INSERT: a use without
    ``team`` counts for the person's first team when aggregated. A deployment is always
    written at once: the CI check reports its id.
    """
    user_id = user.pk if user is not None and user.is_authenticated else None
    fields = {
        "kind": kind,
        "version_id": version.pk,
        "file_id": getattr(file, "pk", None),
        "user_id": user_id,
        "team_id": getattr(team, "pk", None),
        "client": client[:100],
        "metadata": dict(metadata or {}),
        "created_at": timezone.now(),
    }
    if kind == UsageEvent.Kind.DEPLOYMENT:
        return insert_usage_event(fields)
    if settings.HUBGATE_USAGE_RECORDING == "queue":
        transaction.on_commit(lambda: _enqueue_or_insert(fields))
        return None
    if after is not None:
        # Django's own hook for work at close (FileResponse closes its file through it); it
        # runs before request_finished, so the request's database connection is still open.
        after._resource_closers.append(lambda: insert_usage_event(fields))
        return None
    return insert_usage_event(fields)


def insert_usage_event(fields: Mapping[str, Any]) -> UsageEvent | None:
    """Write one event (the fields ``record_usage`` collected); logs instead of raising."""
    try:
        with transaction.atomic():
            return UsageEvent.objects.create(**fields)
    except DatabaseError:
        logger.exception(
            "Could not record a %s of version %s", fields.get("kind"), fields.get("version_id")
        )
        return None


#: After the broker failed once, skip it for this long and insert directly: a broker client
#: may retry for seconds before giving up, and only one request per pause should pay that.
BROKER_PAUSE_SECONDS = 30.0
_broker_paused_until = 0.0


def _enqueue_or_insert(fields: dict[str, Any]) -> None:
    global _broker_paused_until
    from .tasks import record_usage_task

    if time.monotonic() < _broker_paused_until:
        insert_usage_event(fields)
        return
    payload = {**fields, "created_at": fields["created_at"].isoformat()}
    try:
        # No retries: a download must not wait for a broker to come back.
        record_usage_task.apply_async(kwargs={"fields": payload}, retry=False)
    except Exception:  # kombu raises OperationalError, redis-py and amqp their own errors.
        _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning(
            "Broker unavailable; recording usage directly for %.0f s",
            BROKER_PAUSE_SECONDS,
            exc_info=True,
        )
        insert_usage_event(fields)


def record_queued_usage(*, fields: Mapping[str, Any]) -> UsageEvent | None:
    """The Celery side of ``"queue"`` recording: ``fields`` as JSON, the time as ISO text."""
    data = dict(fields)
    data["created_at"] = datetime.fromisoformat(data["created_at"])
    return insert_usage_event(data)


def aggregate_daily_usage(*, day: date | None = None) -> int:
    """Rebuild the daily counters of ``day`` (default: today, in the site's time zone) from
    the raw events; idempotent. Returns how many counter rows the day has."""
    day = day or timezone.localdate()
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()), tz)
    end = start + timedelta(days=1)
    grouped = (
        UsageEvent.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("kind", "version_id", "team_id", "user_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    grouped = list(grouped)
    teams = first_team_of({r["user_id"] for r in grouped if r["team_id"] is None})
    folded: dict[tuple, dict[str, Any]] = {}
    for r in grouped:
        team_id = r["team_id"] if r["team_id"] is not None else teams.get(r["user_id"])
        row = folded.setdefault(
            (r["kind"], r["version_id"], team_id),
            {
                "kind": r["kind"],
                "version_id": r["version_id"],
                "team_id": team_id,
                "n": 0,
                "people": set(),
            },
        )
        row["n"] += r["n"]
        if r["user_id"] is not None:
            row["people"].add(r["user_id"])
    rows = [{**row, "people": len(row["people"])} for row in folded.values()]
    versions = ModelVersion.objects.filter(pk__in={r["version_id"] for r in rows}).values(
        "pk", "model_id", "base_model", "model__type"
    )
    by_version = {v["pk"]: v for v in versions}
    counters = [
        DailyUsage(
            day=day,
            kind=r["kind"],
            version_id=r["version_id"],
            team_id=r["team_id"],
            model_id=by_version[r["version_id"]]["model_id"],
            base_model=by_version[r["version_id"]]["base_model"],
            model_type=by_version[r["version_id"]]["model__type"],
            count=r["n"],
            users=r["people"],
        )
        for r in rows
        if r["version_id"] in by_version
    ]
    with transaction.atomic():
        DailyUsage.objects.filter(day=day).delete()
        DailyUsage.objects.bulk_create(counters)
    return len(counters)


def aggregate_recent_usage(*, days: int = 2) -> int:
    """Rebuild today's and the previous ``days - 1`` days' counters (Celery beat)."""
    today = timezone.localdate()
    return sum(aggregate_daily_usage(day=today - timedelta(days=n)) for n in range(days))
