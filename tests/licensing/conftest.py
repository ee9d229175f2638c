"""Licensing fixtures: the shipped catalog, the demo profiles, a legal reviewer, a company."""

import pytest

from governance.accounts.models import ReviewerRole, RoleAssignment
from governance.licensing.models import IntendedUse
from tests.accounts.factories import UserFactory
from tests.approvals.conftest import company, stored_version  # noqa: F401
from tests.licensing.factories import install_licensing


@pytest.fixture
def profiles(db) -> dict[str, IntendedUse]:
    install_licensing()
    return {p.slug: p for p in IntendedUse.objects.all()}


@pytest.fixture
def lawyer(db):
    """A holder of the legal reviewer role that may record license decisions."""
    role, _ = ReviewerRole.objects.get_or_create(slug="legal", defaults={"name": "Legal"})
    user = UserFactory(username="lena")
    RoleAssignment.objects.create(user=user, role=role)
    return user
