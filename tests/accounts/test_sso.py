"""Sign-in: IdP groups mapped to teams and reviewer roles, local accounts, the admin behind
the same sign-in, and signing out everywhere."""

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from governance.accounts.models import IdpGroupMapping, Membership, ReviewerRole, RoleAssignment
from governance.accounts.sso import (
    apply_idp_groups,
    delete_group_mapping,
    groups_from_claims,
    save_group_mapping,
)
from governance.audit.models import AuditEntry
from tests.accounts.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def studio():
    return TeamFactory(slug="studio", name="Studio")


@pytest.fixture
def security():
    return ReviewerRole.objects.create(slug="security", name="Security")


def _teams(user) -> dict[str, tuple[str, bool]]:
    return {m.team.slug: (m.role, m.idp_managed) for m in user.memberships.select_related("team")}


def test_groups_are_read_from_userinfo_id_token_or_saml_attributes() -> None:
    assert groups_from_claims({"userinfo": {"groups": ["b", "a", "a"]}}) == ["a", "b"]
    assert groups_from_claims({"id_token": {"groups": "solo"}}) == ["solo"]
    # SAML: attribute name → list of values, under a claim name from the settings.
    saml = {"memberOf": ["cn=designers", " "], "email": ["x@example.com"]}
    assert groups_from_claims(saml) == ["cn=designers"]
    assert groups_from_claims({"userinfo": {"sub": "x"}}) == []
    assert groups_from_claims({"groups": {"not": "a list"}}) == []
    assert groups_from_claims(None) == []


def test_first_sign_in_grants_mapped_team_and_role_and_audits_it(studio, security) -> None:
    IdpGroupMapping.objects.create(group="hubgate-studio", team=studio)
    IdpGroupMapping.objects.create(group="hubgate-security", reviewer_role=security)
    user = UserFactory(username="dana")
    result = apply_idp_groups(
        user=user, groups=["hubgate-studio", "hubgate-security", "x"], provider="company"
    )
    assert result.teams_added == ["studio:member"] and result.roles_added == ["security"]
    assert _teams(user) == {"studio": ("member", True)}
    assert RoleAssignment.objects.get(user=user).role == security
    assert user.groups.filter(name="team:studio").exists(), "object permissions follow"
    entry = AuditEntry.objects.filter(action="user.idp_groups_applied").get()
    assert entry.after["groups"] == ["hubgate-security", "hubgate-studio", "x"]
    assert entry.after["provider"] == "company"


def test_next_sign_in_removes_what_the_groups_no_longer_grant(studio, security) -> None:
    IdpGroupMapping.objects.create(group="hubgate-studio", team=studio)
    IdpGroupMapping.objects.create(group="hubgate-security", reviewer_role=security)
    other = TeamFactory(slug="by-hand")
    user = UserFactory()
    MembershipFactory(user=user, team=other)  # granted by an administrator, not the IdP
    apply_idp_groups(user=user, groups=["hubgate-studio", "hubgate-security"])
    result = apply_idp_groups(user=user, groups=[])
    assert result.teams_removed == ["studio:member"] and result.roles_removed == ["security"]
    assert _teams(user) == {"by-hand": ("member", False)}
    assert not RoleAssignment.objects.filter(user=user).exists()
    assert not user.groups.filter(name="team:studio").exists()
    removed = AuditEntry.objects.filter(action="team.member_removed").get()
    assert removed.before == {"user": user.username, "role": "member"}


def test_unchanged_groups_change_nothing_and_write_no_entry(studio) -> None:
    IdpGroupMapping.objects.create(group="g", team=studio)
    user = UserFactory()
    apply_idp_groups(user=user, groups=["g"])
    before = AuditEntry.objects.count()
    assert not apply_idp_groups(user=user, groups=["g"]).changed
    assert AuditEntry.objects.count() == before


def test_a_hand_made_membership_is_neither_taken_over_nor_removed(studio) -> None:
    IdpGroupMapping.objects.create(group="g", team=studio, team_role=Membership.Role.LEAD)
    user = UserFactory()
    MembershipFactory(user=user, team=studio, role=Membership.Role.MEMBER)
    apply_idp_groups(user=user, groups=["g"])
    assert _teams(user) == {"studio": ("member", False)}
    apply_idp_groups(user=user, groups=[])
    assert _teams(user) == {"studio": ("member", False)}


def test_role_follows_the_groups_and_the_higher_role_wins(studio) -> None:
    IdpGroupMapping.objects.create(group="members", team=studio)
    IdpGroupMapping.objects.create(group="leads", team=studio, team_role=Membership.Role.LEAD)
    user = UserFactory()
    apply_idp_groups(user=user, groups=["members", "leads"])
    assert _teams(user) == {"studio": ("lead", True)}
    result = apply_idp_groups(user=user, groups=["members"])
    assert result.teams_changed == ["studio:member"]
    assert _teams(user) == {"studio": ("member", True)}


def test_a_provider_scoped_mapping_applies_only_to_that_provider(studio) -> None:
    IdpGroupMapping.objects.create(group="g", team=studio, provider="partner-idp")
    user = UserFactory()
    apply_idp_groups(user=user, groups=["g"], provider="company")
    assert _teams(user) == {}
    apply_idp_groups(user=user, groups=["g"], provider="partner-idp")
    assert _teams(user) == {"studio": ("member", True)}


def test_the_settings_default_mapping_applies_and_skips_unknown_slugs(studio, security) -> None:
    mapping = {
        "hubgate-studio": {"team": "studio", "role": "lead"},
        "hubgate-security": {"reviewer_role": "security"},
        "typo": {"team": "no-such-team"},
        "bad-role": {"team": "studio", "role": "owner"},
    }
    user = UserFactory()
    with override_settings(HUBGATE_IDP_GROUP_MAPPING=mapping):
        apply_idp_groups(user=user, groups=["hubgate-studio", "hubgate-security", "typo"])
        assert _teams(user) == {"studio": ("lead", True)}
        assert RoleAssignment.objects.filter(user=user, role=security, idp_managed=True).exists()
        apply_idp_groups(user=user, groups=["bad-role"])
    assert _teams(user) == {}


def test_mapping_changes_in_the_admin_are_audited(studio) -> None:
    admin = UserFactory(is_staff=True, is_superuser=True)
    mapping = save_group_mapping(mapping=IdpGroupMapping(group="g", team=studio), actor=admin)
    delete_group_mapping(mapping=mapping, actor=admin)
    actions = list(
        AuditEntry.objects.filter(action__startswith="idp_mapping.").values_list(
            "action", flat=True
        )
    )
    assert actions == ["idp_mapping.saved", "idp_mapping.deleted"]


def test_a_mapping_must_grant_something() -> None:
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        IdpGroupMapping.objects.create(group="nothing")


def test_the_mapping_admin_saves_through_the_service(client, studio) -> None:
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:accounts_idpgroupmapping_add")
    response = client.post(
        url,
        {
            "group": "designers",
            "provider": "",
            "team": studio.pk,
            "team_role": "member",
            "reviewer_role": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AuditEntry.objects.filter(action="idp_mapping.saved").exists()


# --- local accounts, the admin console and signing out ------------------------------------


def test_local_password_sign_in_works_and_sign_up_is_closed(client) -> None:
    user = UserFactory(username="alice")
    response = client.post(reverse("account_login"), {"login": "alice", "password": "pw-for-tests"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").context["user"] == user
    assert b"closed" in Client().get(reverse("account_signup")).content.lower()


@override_settings(HUBGATE_LOCAL_LOGIN=False)
def test_password_sign_in_can_be_turned_off(client) -> None:
    UserFactory(username="alice")
    response = client.post(reverse("account_login"), {"login": "alice", "password": "pw-for-tests"})
    assert response.status_code == 200
    assert "Password sign-in is turned off" in response.content.decode()
    assert 'name="password"' not in client.get(reverse("account_login")).content.decode()


def test_the_admin_console_signs_in_through_the_same_page(client) -> None:
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    client.force_login(UserFactory())
    assert client.get("/admin/login/").status_code == 403, "not staff"


def test_signing_out_ends_the_users_other_sessions_too() -> None:
    UserFactory(username="alice")
    laptop, phone = Client(), Client()
    for browser in (laptop, phone):
        browser.post(reverse("account_login"), {"login": "alice", "password": "pw-for-tests"})
        assert browser.get("/").status_code == 200
    response = laptop.post(reverse("account_logout"))
    assert response.status_code == 302 and response["Location"] == reverse("account_login")
    assert phone.get("/").status_code == 302, "the phone's session ended as well"
    entry = AuditEntry.objects.filter(action="user.signed_out").get()
    assert entry.after == {"other_sessions_ended": 1}


@override_settings(HUBGATE_LOGOUT_EVERYWHERE=False)
def test_signing_out_everywhere_can_be_turned_off() -> None:
    UserFactory(username="alice")
    laptop, phone = Client(), Client()
    for browser in (laptop, phone):
        browser.post(reverse("account_login"), {"login": "alice", "password": "pw-for-tests"})
    laptop.post(reverse("account_logout"))
    assert phone.get("/").status_code == 200


# --- providers configured from the environment ----------------------------------------------

# The IdP signing certificate is opaque to the SP metadata and the sign-in button tested here.
_TEST_CERT = (
    "MIIBszCCAVmgAwIBAgIUXc0wV7J1yS4Q0bVd2c3mX8hF3yEwCgYIKoZIzj0EAwIwLzEtMCsGA1UEAwwk"
    "aHViZ2F0ZS10ZXN0LWlkcC5leGFtcGxlLmNvbSB0ZXN0IGNlcnQwHhcNMjYwMTAxMDAwMDAwWhcNMzYw"
)


def test_oidc_and_saml_providers_come_from_the_environment() -> None:
    import json
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "HUBGATE_OIDC_SERVER_URL": "https://idp.example.com/realms/company",
        "HUBGATE_OIDC_CLIENT_ID": "hubgate",
        "HUBGATE_OIDC_CLIENT_SECRET": "s3cret",
        "HUBGATE_SAML_IDP_ENTITY_ID": "https://saml.example.com/entity",
        "HUBGATE_SAML_IDP_METADATA_URL": "https://saml.example.com/metadata",
        "HUBGATE_IDP_GROUP_MAPPING": '{"designers": {"team": "studio"}}',
    }
    code = (
        "import json; from django.conf import settings as s; print(json.dumps("
        "[s.SOCIALACCOUNT_PROVIDERS, s.HUBGATE_IDP_GROUP_MAPPING]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    providers, mapping = json.loads(out)
    (oidc,) = providers["openid_connect"]["APPS"]
    assert oidc["provider_id"] == "company" and oidc["client_id"] == "hubgate"
    assert oidc["settings"]["server_url"] == "https://idp.example.com/realms/company"
    assert "groups" in oidc["settings"]["scope"]
    assert providers["openid_connect"]["OAUTH_PKCE_ENABLED"] is True
    (saml,) = providers["saml"]["APPS"]
    assert saml["client_id"] == "company"
    assert saml["settings"]["idp"] == {
        "entity_id": "https://saml.example.com/entity",
        "metadata_url": "https://saml.example.com/metadata",
    }
    assert mapping == {"designers": {"team": "studio"}}


SAML_APP = {
    "name": "Company SAML",
    "provider_id": "https://saml.example.com/entity",
    "client_id": "company",
    "settings": {
        "attribute_mapping": {"uid": "uid", "email": "email"},
        "idp": {
            "entity_id": "https://saml.example.com/entity",
            "sso_url": "https://saml.example.com/sso",
            "x509cert": _TEST_CERT,
        },
    },
}


@override_settings(SOCIALACCOUNT_PROVIDERS={"saml": {"APPS": [SAML_APP]}})
def test_saml_service_provider_metadata_and_sign_in_button(client) -> None:
    metadata = client.get("/accounts/saml/company/metadata/", HTTP_HOST="localhost")
    assert metadata.status_code == 200
    body = metadata.content.decode()
    assert "EntityDescriptor" in body and "/accounts/saml/company/acs/" in body
    login = client.get(reverse("account_login")).content.decode()
    assert "Sign in with Company SAML" in login


def test_sign_out_falls_back_to_hubgate_when_the_idp_cannot_be_reached(client) -> None:
    import socket

    from allauth.socialaccount.models import SocialApp

    from governance.accounts.sso import SSO_SESSION_KEY

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    SocialApp.objects.create(
        provider="openid_connect",
        provider_id="company",
        name="Company",
        client_id="hubgate",
        secret="x",
        settings={"server_url": f"http://127.0.0.1:{closed}"},
    )
    client.force_login(UserFactory())
    session = client.session
    session[SSO_SESSION_KEY] = {"provider": "company", "groups": []}
    session.save()
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302 and response["Location"] == reverse("account_login")
    assert client.get("/").status_code == 302
