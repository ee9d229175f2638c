"""The permission module: the one home of who may see or use a model or version."""

import pytest
from guardian.shortcuts import assign_perm

from governance.accounts import permissions
from governance.catalog.models import ModelVersion
from tests.accounts.factories import MembershipFactory, TeamFactory, UserFactory
from tests.catalog.factories import ModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return MembershipFactory().user


def _team(user):
    return user.teams.get()


def test_a_granted_team_member_may_use_the_version_and_nobody_else(member) -> None:
    version, other = ModelVersionFactory(), ModelVersionFactory()
    permissions.grant(permissions.USE_VERSION, group=_team(member).group, obj=version)
    assert permissions.can_use_version(member, version)
    assert not permissions.can_use_version(member, other)
    assert not permissions.can_use_version(UserFactory(), version)
    assert permissions.can_use_version(UserFactory(is_staff=True), other)
    permissions.revoke(permissions.USE_VERSION, group=_team(member).group, obj=version)
    assert not permissions.can_use_version(member, version)


def test_the_fast_filter_and_the_holders_agree_with_the_checker(member) -> None:
    granted, direct, other = ModelVersionFactory(), ModelVersionFactory(), ModelVersionFactory()
    permissions.grant(permissions.USE_VERSION, group=_team(member).group, obj=granted)
    assign_perm(permissions.USE_VERSION, member, direct)
    usable = ModelVersion.objects.filter(
        permissions.granted_filter(member, permissions.USE_VERSION, ModelVersion)
    )
    assert set(usable) == {granted, direct}
    group_ids = list(member.groups.values_list("pk", flat=True))
    for version in (granted, direct, other):
        holders = permissions.holders(permissions.USE_VERSION, version)
        assert holders.include(member, group_ids) == permissions.can_use_version(member, version)


def test_a_use_counts_for_the_oldest_of_the_teams_approved(member) -> None:
    version = ModelVersionFactory()
    assert permissions.team_of_use(member, version) is None
    approved = TeamFactory()
    MembershipFactory(team=approved, user=member)
    permissions.grant(permissions.USE_VERSION, group=approved.group, obj=version)
    assert permissions.team_of_use(member, version) == approved


def test_the_owning_team_sees_its_private_model(member) -> None:
    model = ModelFactory(owning_team=_team(member), visibility="team")
    assert permissions.can_view_model(member, model)
    assert not permissions.can_view_model(UserFactory(), model)
    assert list(
        permissions.objects_granted(member, permissions.VIEW_MODEL, type(model).objects.all())
    ) == [model]


def test_every_permission_change_is_announced(member) -> None:
    version = ModelVersionFactory()
    seen = []

    def listener(sender, model, codename, object_pk, **kwargs):
        seen.append((model, codename, object_pk))

    permissions.object_permission_changed.connect(listener)
    try:
        permissions.grant(permissions.USE_VERSION, group=_team(member).group, obj=version)
        permissions.revoke(permissions.USE_VERSION, group=_team(member).group, obj=version)
    finally:
        permissions.object_permission_changed.disconnect(listener)
    assert seen == [(ModelVersion, "use_modelversion", str(version.pk))] * 2
