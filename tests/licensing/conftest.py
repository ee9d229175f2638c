"""Licensing fixtures: the shipped catalog, the demo profiles, a legal reviewer, a company."""

import pytest

from governance.licensing.models import IntendedUse
from tests.accounts.factories import ReviewerRoleFactory, RoleAssignmentFactory
from tests.approvals.conftest import company, stored_version  # noqa: F401
from tests.licensing.factories import install_licensing


@pytest.fixture
def profiles(db) -> dict[str, IntendedUse]:
    install_licensing()
    return {p.slug: p for p in IntendedUse.objects.all()}


@pytest.fixture
def lawyer(db):
    """A holder of the legal reviewer role that may record license decisions."""
    role = ReviewerRoleFactory(slug="legal", name="Legal")  # get-or-create by slug
    return RoleAssignmentFactory(user__username="lena", role=role).user
