"""Single sign-on: who the company IdP says a person is, and what that grants in Hubgate.

django-allauth runs the OpenID Connect and SAML 2.0 flows; this module decides the rest:
users are provisioned at their first IdP sign-in, their team memberships and reviewer roles
follow their IdP groups at every sign-in (granted and taken away, audited), and signing out
ends every session of the user here and, for OpenID Connect, at the IdP too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests
from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from allauth.usersessions.models import UserSession
from django import forms
from django.conf import settings
from django.core.exceptions import MultipleObjectsReturned, PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse

from governance.audit.services import record
from governance.net import client_address

from .models import IdpGroupMapping, Membership, ReviewerRole, RoleAssignment, Team, User

logger = logging.getLogger(__name__)

#: The session key remembering which IdP the user signed in through (for sign-out).
SSO_SESSION_KEY = "hubgate_sso"
_ROLE_RANK = {Membership.Role.MEMBER: 0, Membership.Role.LEAD: 1}


@dataclass(frozen=True)
class GroupSyncResult:
    """What one sign-in changed: team slugs (with role) and reviewer role slugs."""

    groups: tuple[str, ...]
    teams_added: list[str] = field(default_factory=list)
    teams_changed: list[str] = field(default_factory=list)
    teams_removed: list[str] = field(default_factory=list)
    roles_added: list[str] = field(default_factory=list)
    roles_removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(
            (
                self.teams_added,
                self.teams_changed,
                self.teams_removed,
                self.roles_added,
                self.roles_removed,
            )
        )


def groups_from_claims(extra_data: Mapping[str, Any] | None) -> list[str]:
    """The IdP groups in a sign-in's data: OIDC userinfo / ID token claims or SAML attributes.

    The first of ``HUBGATE_IDP_GROUP_CLAIMS`` present wins; a single string is one group.
    """
    if not isinstance(extra_data, Mapping):
        return []
    sources = [extra_data.get("userinfo"), extra_data.get("id_token"), extra_data]
    for claim in settings.HUBGATE_IDP_GROUP_CLAIMS:
        for source in sources:
            if isinstance(source, Mapping) and claim in source:
                value = source[claim]
                values = [value] if isinstance(value, str) else value
                if not isinstance(values, list | tuple):
                    return []
                return sorted({str(v).strip() for v in values if str(v).strip()})
    return []


def _settings_grants(groups: set[str]) -> tuple[dict[int, str], set[int]]:
    """The default mapping from settings, resolved to team and role ids (unknown slugs are
    logged and skipped: a typo in settings must not lock people out)."""
    default: Mapping[str, Any] = settings.HUBGATE_IDP_GROUP_MAPPING or {}
    wanted = {g: default[g] for g in groups if isinstance(default.get(g), Mapping)}
    if not wanted:
        return {}, set()
    team_slugs = {e["team"] for e in wanted.values() if e.get("team")}
    role_slugs = {e["reviewer_role"] for e in wanted.values() if e.get("reviewer_role")}
    teams = dict(Team.objects.filter(slug__in=team_slugs).values_list("slug", "pk"))
    roles = dict(ReviewerRole.objects.filter(slug__in=role_slugs).values_list("slug", "pk"))
    team_grants: dict[int, str] = {}
    role_grants: set[int] = set()
    for group, entry in sorted(wanted.items()):
        if entry.get("team"):
            role = entry.get("role", Membership.Role.MEMBER)
            if entry["team"] not in teams or role not in _ROLE_RANK:
                logger.warning(
                    "HUBGATE_IDP_GROUP_MAPPING[%r]: no team %r or no role %r",
                    group,
                    entry["team"],
                    role,
                )
            else:
                _grant_team(team_grants, teams[entry["team"]], role)
        if entry.get("reviewer_role"):
            if entry["reviewer_role"] not in roles:
                logger.warning(
                    "HUBGATE_IDP_GROUP_MAPPING[%r]: no reviewer role %r",
                    group,
                    entry["reviewer_role"],
                )
            else:
                role_grants.add(roles[entry["reviewer_role"]])
    return team_grants, role_grants


def _grant_team(grants: dict[int, str], team_id: int, role: str) -> None:
    # Two groups granting the same team: the higher role wins.
    if team_id not in grants or _ROLE_RANK[role] > _ROLE_RANK[grants[team_id]]:
        grants[team_id] = role


def mapped_grants(groups: Iterable[str], *, provider: str = "") -> tuple[dict[int, str], set[int]]:
    """What ``groups`` grant: {team id: membership role} and reviewer role ids.

    The admin's mappings and the settings default are both applied (the union).
    """
    groups = set(groups)
    team_grants, role_grants = _settings_grants(groups)
    rows = IdpGroupMapping.objects.filter(group__in=groups).filter(
        Q(provider="") | Q(provider=provider)
    )
    for row in rows:
        if row.team_id:
            _grant_team(team_grants, row.team_id, row.team_role)
        if row.reviewer_role_id:
            role_grants.add(row.reviewer_role_id)
    return team_grants, role_grants


def apply_idp_groups(*, user: User, groups: Iterable[str], provider: str = "") -> GroupSyncResult:
    """Make ``user``'s IdP-managed memberships and reviewer roles match ``groups``.

    Grants what the groups map to, changes a managed membership's role, takes away what an
    earlier sign-in granted and no group maps to now; hand-made grants are left alone.
    One audit entry describes the change (memberships are also audited one by one).
    """
    groups = tuple(sorted(set(groups)))
    result = GroupSyncResult(groups=groups)
    with transaction.atomic():
        # One sign-in at a time per user: two at once must not both add the same membership.
        User.objects.select_for_update().filter(pk=user.pk).first()
        team_grants, role_grants = mapped_grants(groups, provider=provider)
        memberships = {m.team_id: m for m in user.memberships.select_related("team")}
        for team_id, role in team_grants.items():
            current = memberships.get(team_id)
            if current is None:
                created = Membership.objects.create(
                    user=user, team_id=team_id, role=role, idp_managed=True
                )
                result.teams_added.append(f"{created.team.slug}:{role}")
            elif current.idp_managed and current.role != role:
                current.role = role
                current.save(update_fields=["role"])
                result.teams_changed.append(f"{current.team.slug}:{role}")
        for team_id, current in memberships.items():
            if current.idp_managed and team_id not in team_grants:
                result.teams_removed.append(f"{current.team.slug}:{current.role}")
                current.delete()
        assignments = {a.role_id: a for a in user.role_assignments.select_related("role")}
        for role_id in role_grants - set(assignments):
            created = RoleAssignment.objects.create(user=user, role_id=role_id, idp_managed=True)
            result.roles_added.append(created.role.slug)
        for role_id, current in assignments.items():
            if current.idp_managed and role_id not in role_grants:
                result.roles_removed.append(current.role.slug)
                current.delete()
        if result.changed:
            record(
                action="user.idp_groups_applied",
                obj=user,
                actor=user,
                before={"teams": result.teams_removed, "roles": result.roles_removed},
                after={
                    "provider": provider,
                    "groups": list(groups),
                    "teams_added": result.teams_added,
                    "teams_changed": result.teams_changed,
                    "roles_added": result.roles_added,
                },
            )
    return result


def apply_sociallogin(*, request: HttpRequest, user: User, sociallogin: SocialLogin) -> None:
    """At every IdP sign-in: re-apply the groups, remember the provider for sign-out."""
    account = sociallogin.account
    groups = groups_from_claims(account.extra_data)
    result = apply_idp_groups(user=user, groups=groups, provider=account.provider)
    request.session[SSO_SESSION_KEY] = {"provider": account.provider, "groups": list(groups)}
    logger.info(
        "IdP sign-in of %s through %s: groups %s, %s",
        user.username,
        account.provider,
        groups,
        "changes applied" if result.changed else "no change",
    )


def end_other_sessions(*, user: User, keep_session_key: str | None) -> int:
    """End every tracked session of ``user`` except ``keep_session_key``; how many ended."""
    ended = 0
    for session in UserSession.objects.filter(user_id=user.pk).exclude(
        session_key=keep_session_key or ""
    ):
        session.end()
        ended += 1
    return ended


def oidc_end_session_url(request: HttpRequest, provider_id: str) -> str | None:
    """The IdP's RP-initiated logout URL for ``provider_id`` (None: not OIDC, or the IdP
    publishes no end_session_endpoint or cannot be reached)."""
    try:
        app = get_social_adapter().get_app(request, provider=provider_id)
    except (SocialApp.DoesNotExist, MultipleObjectsReturned):
        return None
    if app.provider != "openid_connect":
        return None
    provider = app.get_provider(request)
    try:
        with get_social_adapter().get_requests_session() as session:
            response = session.get(provider.server_url, timeout=5)
            response.raise_for_status()
            endpoint = response.json().get("end_session_endpoint")
    except (requests.RequestException, ValueError):
        logger.warning("no end_session_endpoint from %s: signing out locally only", provider_id)
        return None
    if not endpoint:
        return None
    back = request.build_absolute_uri(reverse(settings.LOGOUT_REDIRECT_URL))
    query = urlencode({"client_id": app.client_id, "post_logout_redirect_uri": back})
    return f"{endpoint}?{query}"


class HubgateAccountAdapter(DefaultAccountAdapter):
    """Local accounts: no self sign-up; password sign-in only while HUBGATE_LOCAL_LOGIN."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        if not settings.HUBGATE_LOCAL_LOGIN:
            raise forms.ValidationError("Password sign-in is turned off: use company sign-in.")
        super().pre_authenticate(request, **credentials)

    def get_client_ip(self, request: HttpRequest) -> str:
        """Sign-in rate limits and session records key on the real client, one bucket per
        client even behind the reverse proxy (X-Forwarded-For only from trusted proxies)."""
        address = client_address(request)
        if not address:
            raise PermissionDenied("Unable to determine client IP address")
        return address

    def get_logout_redirect_url(self, request: HttpRequest) -> str:
        # Computed before the session is flushed: the IdP this session came from.
        sso = request.session.get(SSO_SESSION_KEY) or {}
        if settings.HUBGATE_LOGOUT_EVERYWHERE and sso.get("provider"):
            url = oidc_end_session_url(request, sso["provider"])
            if url:
                return url
        return super().get_logout_redirect_url(request)

    def logout(self, request: HttpRequest) -> None:
        user = request.user
        if settings.HUBGATE_LOGOUT_EVERYWHERE and user.is_authenticated:
            ended = end_other_sessions(user=user, keep_session_key=request.session.session_key)
            record(
                action="user.signed_out",
                obj=user,
                actor=user,
                after={"other_sessions_ended": ended},
            )
        super().logout(request)


class HubgateSocialAccountAdapter(DefaultSocialAccountAdapter):
    """IdP sign-in: anyone the IdP vouches for gets an account at their first sign-in."""

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return True


def save_group_mapping(*, mapping: IdpGroupMapping, actor: User) -> IdpGroupMapping:
    """Create or change an IdP group mapping (it decides who is in which team: audited)."""
    with transaction.atomic():
        before = None
        if mapping.pk:
            old = IdpGroupMapping.objects.select_for_update().get(pk=mapping.pk)
            before = {"mapping": str(old)}
        mapping.full_clean()
        mapping.save()
        record(
            action="idp_mapping.saved",
            obj=mapping,
            actor=actor,
            before=before,
            after={"mapping": str(mapping), "provider": mapping.provider},
        )
    return mapping


def delete_group_mapping(*, mapping: IdpGroupMapping, actor: User) -> None:
    """Remove a mapping; the grants it made go away at each person's next sign-in."""
    with transaction.atomic():
        record(
            action="idp_mapping.deleted",
            obj=mapping,
            actor=actor,
            before={"mapping": str(mapping), "provider": mapping.provider},
        )
        mapping.delete()
