"""Trend math (hot, rising, new, virality) and the implicit feedback recommenders consume."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from governance.community import selectors, services
from governance.community.selectors import trend_score
from governance.usage.services import aggregate_recent_usage
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.catalog.factories import ModelFactory, ModelVersionFactory
from tests.usage.factories import UsageEventFactory

TODAY = date(2026, 11, 26)


def _days(counts: dict[int, int]) -> dict[date, int]:
    return {TODAY - timedelta(days=age): n for age, n in counts.items()}


def test_hot_decays_with_a_three_day_half_life():
    today = trend_score(1, _days({0: 8}), today=TODAY, first_seen=None)
    old = trend_score(1, _days({3: 8}), today=TODAY, first_seen=None)
    assert today.hot == 8.0 and old.hot == 4.0


def test_rising_needs_growth_over_the_previous_week():
    steady = trend_score(1, _days({a: 5 for a in range(14)}), today=TODAY, first_seen=None)
    growing = trend_score(
        2,
        _days({**{a: 10 for a in range(7)}, **{a: 2 for a in range(7, 14)}}),
        today=TODAY,
        first_seen=None,
    )
    assert steady.rising == 0.0 and growing.rising > 0
    assert growing.growth == pytest.approx(71 / 15, rel=1e-3)


def test_new_models_get_a_bonus_that_fades():
    fresh = trend_score(1, {}, today=TODAY, first_seen=TODAY - timedelta(days=1))
    week = trend_score(1, {}, today=TODAY, first_seen=TODAY - timedelta(days=8))
    old = trend_score(1, {}, today=TODAY, first_seen=TODAY - timedelta(days=90))
    assert fresh.new > week.new > 0 and old.new == 0


def test_sudden_growth_is_flagged_viral_and_steady_use_is_not():
    baseline = {a: 2 for a in range(2, 30)}
    spike = trend_score(1, _days({**baseline, 0: 30, 1: 25}), today=TODAY, first_seen=None)
    steady = trend_score(2, _days({a: 30 for a in range(30)}), today=TODAY, first_seen=None)
    tiny = trend_score(3, _days({0: 3, 1: 2}), today=TODAY, first_seen=None)
    assert spike.viral and not steady.viral and not tiny.viral


@pytest.mark.django_db
@pytest.mark.usefixtures("quiet_clock")  # the uses and today's counters on one day
def test_trending_lists_only_models_the_user_may_see():
    team = MembershipFactory().team
    private = ModelVersionFactory(model=ModelFactory(visibility="team", owning_team=team))
    public = ModelVersionFactory()
    now = timezone.now()
    for version, n in ((private, 9), (public, 3)):
        for _ in range(n):
            UsageEventFactory(version=version, created_at=now)
    aggregate_recent_usage(days=1)
    outsider = UserFactory()
    ranked = selectors.trending(user=outsider, kind="hot")
    assert [m.pk for m, _ in ranked] == [public.model_id]
    staff = UserFactory(is_staff=True)
    assert [m.pk for m, _ in selectors.trending(user=staff, kind="hot")] == [
        private.model_id,
        public.model_id,
    ]


@pytest.mark.django_db
def test_interactions_yield_every_kind_of_implicit_feedback():
    member = MembershipFactory()
    user, team = member.user, member.team
    version = ModelVersionFactory()
    model = version.model
    UsageEventFactory(version=version, user=user, team=team)
    services.set_favorite(user=user, model=model, favorite=True)
    services.write_review(user=user, version=version, rating=1, text="Broken hands.")
    collection = services.create_collection(owner=user, name="Mine", visibility="team", team=team)
    services.add_to_collection(user=user, collection=collection, model=model)
    UsageEventFactory(version=version)  # anonymous: no user, not feedback
    got = {(i.kind, i.user_id, i.model_id, i.weight) for i in selectors.interactions()}
    assert got == {
        ("download", user.pk, model.pk, 1.0),
        ("favorite", user.pk, model.pk, 3.0),
        ("rating", user.pk, model.pk, -1.0),
        ("collection", user.pk, model.pk, 2.0),
    }
    assert list(selectors.interactions(user_ids=[user.pk + 1000])) == []
    later = timezone.now() + timedelta(days=1)
    assert list(selectors.interactions(since=later)) == []
