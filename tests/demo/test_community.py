"""The demo community: months of realistic activity, deterministic and idempotent, and the
same whatever day of the week (or hour) the demo is loaded on."""

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Sum
from django.test import override_settings
from django.utils import timezone

from governance.community import selectors
from governance.community.models import Collection, Comment, ContentStatus, Review
from governance.demo.catalog import load_fixture, seed_demo
from governance.demo.community import (
    VIRAL_DAYS,
    VIRAL_SHARE,
    WEEKEND_FACTOR,
    seed_community_demo,
)
from governance.usage.models import DailyUsage, UsageEvent

#: A Sunday (the weekday the demo's viral model used to vanish on), at noon.
SUNDAY_NOON = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
#: Just after midnight on a Saturday: a weekend, with almost nothing of "today" gone by.
SATURDAY_AFTER_MIDNIGHT = datetime(2026, 12, 5, 0, 20, tzinfo=UTC)
WEDNESDAY_AFTERNOON = datetime(2026, 12, 9, 15, 30, tzinfo=UTC)


@pytest.mark.slow
@pytest.mark.django_db
@override_settings(DEBUG=True)
@time_machine.travel(SUNDAY_NOON)
def test_the_demo_ships_months_of_community_and_usage_once():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Demo community:" in out.getvalue()
    events = UsageEvent.objects.count()
    assert events > 3000 and Review.objects.count() > 50
    first, last = (
        UsageEvent.objects.order_by(f).values_list("created_at", flat=True).first()
        for f in ("created_at", "-created_at")
    )
    assert (last - first).days >= 90
    assert DailyUsage.objects.exists()
    assert Comment.objects.filter(status=ContentStatus.HELD).count() == 1
    assert Review.objects.filter(revisions__isnull=False).exists()
    assert Collection.objects.filter(visibility="private").exists()
    assert any(t.viral for t in selectors.trend_scores().values())
    assert not seed_community_demo().created  # idempotent
    assert UsageEvent.objects.count() == events


#: Five whole weeks, so every run covers each weekday five times.
DAYS = 34


@pytest.fixture
def small_catalog(tmp_path, settings) -> None:
    """The demo people and the first 15 models of the demo catalog (a quarter of it: the
    community seeding is what these tests are about)."""
    # Moderating each review's text is three quarters of the seeding time, and the test above
    # already checks it (the held comment); here it would only slow the weekday runs down.
    settings.HUBGATE_DISABLED_PLUGINS = [*settings.HUBGATE_DISABLED_PLUGINS, "moderation_lexicon"]
    fixture = tmp_path / "catalog.json"
    fixture.write_text(json.dumps({"items": load_fixture()[:15]}), encoding="utf-8")
    seed_demo(fixture=fixture)


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize(
    "moment",
    [SATURDAY_AFTER_MIDNIGHT, WEDNESDAY_AFTERNOON],
    ids=["saturday-00:20", "wednesday-15:30"],
)
def test_the_demo_has_a_weekly_rhythm_and_a_viral_model_whatever_the_weekday(
    moment, small_catalog
) -> None:
    with time_machine.travel(moment, tick=False):
        report = seed_community_demo(days=DAYS)
        today = timezone.localdate()
        scores = selectors.trend_scores()
    assert report.created and report.reviews > 0 and report.comments > 0
    stamps = list(UsageEvent.objects.values_list("created_at", flat=True))
    assert max(stamps) <= moment, "nothing happens in the future"
    per_day = Counter(timezone.localdate(at) for at in stamps)
    assert min(per_day) == today - timedelta(days=DAYS) and max(per_day) == today

    # Each week carries the same volume, whichever of its days are weekends ...
    level = [25 + (DAYS - d) * 0.25 for d in range(DAYS + 1)]
    spike = sum(round(VIRAL_SHARE * level[d]) for d in range(VIRAL_DAYS))
    assert report.usage_events == pytest.approx(sum(level) + spike, rel=0.02)
    # ... and weekends are quieter than weekdays (the viral model's spike days left out).
    before_spike = {day: n for day, n in per_day.items() if (today - day).days >= VIRAL_DAYS}
    weekend = [n for day, n in before_spike.items() if day.weekday() >= 5]
    weekdays = [n for day, n in before_spike.items() if day.weekday() < 5]
    assert len(weekend) >= 9 and len(weekdays) >= 23
    assert sum(weekend) / len(weekend) == pytest.approx(
        WEEKEND_FACTOR * sum(weekdays) / len(weekdays), rel=0.15
    )

    # Exactly one model goes viral, on a weekend and just after midnight too.
    (viral,) = [s for s in scores.values() if s.viral]
    recent = DailyUsage.objects.filter(
        model_id=viral.model_id,
        day__gt=today - timedelta(days=VIRAL_DAYS),
        kind__in=[UsageEvent.Kind.DOWNLOAD, UsageEvent.Kind.DEPLOYMENT],
    ).aggregate(n=Sum("count"))["n"]
    assert recent >= 10
