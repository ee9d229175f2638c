import pytest

from tests.accounts.factories import (
    MembershipFactory,
    ReviewerRoleFactory,
    RoleAssignmentFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "factory_class",
    [UserFactory, TeamFactory, MembershipFactory, ReviewerRoleFactory, RoleAssignmentFactory],
)
def test_every_accounts_factory_builds_a_valid_row(factory_class):
    first, second = factory_class(), factory_class()
    for obj in (first, second):
        obj.full_clean()
    assert first.pk != second.pk


def test_a_role_assignment_gives_its_user_the_role():
    assignment = RoleAssignmentFactory(role__slug="security", role__can_waive=True)
    assert assignment.user.role_assignments.get().role.slug == "security"
