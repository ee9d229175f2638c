"""One implicit-feedback weight table, read the same way by community and recommendations."""

import pytest

from governance.community import selectors as community
from governance.recommendations import selectors as recommendations
from governance.usage.interactions import WEIGHTS, usage_interactions
from governance.usage.models import UsageEvent
from tests.accounts.factories import MembershipFactory
from tests.usage.factories import UsageEventFactory

pytestmark = pytest.mark.django_db


def test_a_deployment_weighs_the_same_whoever_registered_it() -> None:
    # It weighed 1.0 as a person's (community) and 2.0 as a team's (recommendations).
    member = MembershipFactory()
    UsageEventFactory(kind=UsageEvent.Kind.DEPLOYMENT, user=member.user, team=member.team)
    UsageEventFactory(kind=UsageEvent.Kind.DEPLOYMENT, user=None, team=member.team)
    weights = {(i.actor, i.kind, i.weight) for i in recommendations.interactions()}
    assert weights == {
        (("user", member.user.pk), "deployment", WEIGHTS["deployment"]),
        (("team", member.team.pk), "deployment", WEIGHTS["deployment"]),
    }
    assert WEIGHTS["deployment"] == 2.0


def test_people_and_teams_are_told_apart_and_other_events_are_not_feedback() -> None:
    member = MembershipFactory()
    UsageEventFactory(user=member.user, team=member.team)
    UsageEventFactory(user=None, team=member.team)
    UsageEventFactory(kind=UsageEvent.Kind.PORTAL_VIEW, user=member.user)
    UsageEventFactory(user=None, team=None)  # anonymous: nobody to learn from
    assert [i.actor for i in usage_interactions()] == [("user", member.user.pk)]
    assert [i.actor for i in usage_interactions(people=False)] == [("team", member.team.pk)]
    assert [i.kind for i in community.interactions()] == ["download"]
