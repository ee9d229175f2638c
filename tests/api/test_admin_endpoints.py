"""Teams, memberships and service accounts: administrators only, every change audited."""

import pytest

from governance.accounts.models import Membership, Team, User
from governance.audit.models import AuditEntry
from tests.accounts.factories import MembershipFactory, TeamFactory, UserFactory
from tests.api.conftest import assert_problem, session

pytestmark = pytest.mark.django_db

ADMIN_URLS = ["/api/teams/", "/api/memberships/", "/api/service-accounts/", "/api/audit/"]


@pytest.mark.parametrize("url", ADMIN_URLS)
def test_only_administrators_with_the_admin_scope(url, user, admin, key_for) -> None:
    assert_problem(session(user).get(url), 403, "permission_denied")
    assert_problem(key_for(user, "admin").get(url), 403)  # a person who is not staff
    assert_problem(key_for(admin, "read").get(url), 403)  # staff, but a narrow key
    assert key_for(admin, "admin").get(url).status_code == 200
    assert session(admin).get(url).status_code == 200


def test_teams_are_created_renamed_and_counted(admin) -> None:
    client = session(admin)
    created = client.post("/api/teams/", {"name": "Studio", "slug": "studio"}, format="json")
    assert created.status_code == 201, created.content
    team = Team.objects.get(slug="studio")
    assert team.group is not None  # permissions are granted to it
    renamed = client.patch("/api/teams/studio/", {"name": "Studio One", "slug": "x"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Studio One"
    assert renamed.json()["slug"] == "studio"
    MembershipFactory(team=team)
    assert client.get("/api/teams/studio/").json()["member_count"] == 1
    duplicate = client.post("/api/teams/", {"name": "Studio One", "slug": "studio"}, format="json")
    assert_problem(duplicate, 400, "invalid")
    actions = set(AuditEntry.objects.filter(actor=admin).values_list("action", flat=True))
    assert {"team.created", "team.changed"} <= actions


def test_memberships_are_added_changed_and_removed(admin) -> None:
    team, person = TeamFactory(slug="studio"), UserFactory(username="pat")
    client = session(admin)
    added = client.post("/api/memberships/", {"team": "studio", "user": "pat"}, format="json")
    assert added.status_code == 201, added.content
    assert added.json()["role"] == "member"
    assert person.groups.filter(pk=team.group_id).exists()
    again = client.post("/api/memberships/", {"team": "studio", "user": "pat"}, format="json")
    assert_problem(again, 409, "conflict")
    url = f"/api/memberships/{added.json()['id']}/"
    assert client.patch(url, {"role": "lead"}, format="json").json()["role"] == "lead"
    assert_problem(client.patch(url, {"role": "king"}, format="json"), 400, "invalid")
    assert client.get("/api/memberships/?team=studio&role=lead").json()["count"] == 1
    assert client.delete(url).status_code == 204
    assert not Membership.objects.exists()
    assert not person.groups.filter(pk=team.group_id).exists()
    actions = list(
        AuditEntry.objects.filter(object_type="accounts.team").values_list("action", flat=True)
    )
    assert actions[-3:] == ["team.member_added", "team.member_changed", "team.member_removed"]


def test_service_accounts_are_created_and_deactivated(admin) -> None:
    client = session(admin)
    created = client.post(
        "/api/service-accounts/", {"username": "ci-bot", "name": "CI"}, format="json"
    )
    assert created.status_code == 201, created.content
    bot = User.objects.get(username="ci-bot")
    assert bot.is_service_account and not bot.has_usable_password()
    taken = client.post("/api/service-accounts/", {"username": "ci-bot"}, format="json")
    assert_problem(taken, 400)
    key = client.post(
        "/api/keys/", {"name": "ci", "scopes": ["read", "ci"], "user": "ci-bot"}, format="json"
    ).json()["key"]
    from tests.api.conftest import bearer

    assert bearer(key).get("/api/usage-events/").status_code == 200
    off = client.patch(f"/api/service-accounts/{bot.pk}/", {"is_active": False}, format="json")
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert_problem(bearer(key).get("/api/usage-events/"), 401)
    person = UserFactory()
    assert_problem(client.get(f"/api/service-accounts/{person.pk}/"), 404)
