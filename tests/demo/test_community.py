"""The demo community: months of realistic activity, deterministic and idempotent."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from governance.community import selectors
from governance.demo.community import seed_community_demo
from governance.community.models import Collection, Comment, ContentStatus, Review
from governance.usage.models import DailyUsage, UsageEvent


@pytest.mark.slow
@pytest.mark.django_db
@override_settings(DEBUG=True)
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
