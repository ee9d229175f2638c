"""A small company: roles, a policy, a team with a requester, reviewers, a version to request."""

from dataclasses import dataclass

import pytest

from governance.accounts.models import Membership, ReviewerRole
from governance.approvals.models import ApprovalPolicy
from governance.hookspecs import Finding, hookimpl
from governance.ingest.services import attach_blob, ingest_chunks
from tests.accounts.factories import (
    MembershipFactory,
    ReviewerRoleFactory,
    RoleAssignmentFactory,
    TeamFactory,
    UserFactory,
)
from tests.approvals.factories import ApprovalPolicyFactory
from tests.catalog.factories import ModelVersionFactory
from tests.ingest.factories import safetensors
from tests.licensing.factories import PERMISSIVE_FLAGS, install_licensing

__all__ = ["safetensors"]  # other suites import it from here


class MediumFinding:
    """A scanner that finds one medium issue in every file."""

    @hookimpl
    def hubgate_scan_file(self, file):
        return [Finding(code="t.odd", severity="medium", message="odd but not dangerous")]


@dataclass
class Company:
    team: object
    other_team: object
    alice: object  # requester, member of team
    sam: object  # security reviewer (may waive)
    lee: object  # legal reviewer
    outsider: object  # member of other_team
    security: ReviewerRole
    legal: ReviewerRole
    policy: ApprovalPolicy


@pytest.fixture
def company(db) -> Company:
    install_licensing()  # the license gate judges every request by its intended use
    security = ReviewerRoleFactory(slug="security", name="Security", can_waive=True)
    legal = ReviewerRoleFactory(slug="legal", name="Legal")
    team, other = TeamFactory(slug="studio"), TeamFactory(slug="research")
    alice = MembershipFactory(team=team, user=UserFactory(username="alice")).user
    outsider = MembershipFactory(team=other, user=UserFactory(username="oscar")).user
    sam, lee = UserFactory(username="sam"), UserFactory(username="lee")
    RoleAssignmentFactory(user=sam, role=security)
    RoleAssignmentFactory(user=lee, role=legal)
    policy = ApprovalPolicyFactory(name="Default", quorum=2, required_roles=[security, legal])
    return Company(team, other, alice, sam, lee, outsider, security, legal, policy)


@pytest.fixture
def stored_version(company, django_capture_on_commit_callbacks):
    """A draft version with one stored, scanned file."""

    def make(data: bytes | None = None, **version_fields):
        # Licensed for any use the tests name: SDXL 1.0 with a permissive creator.
        version = ModelVersionFactory(**{**PERMISSIVE_FLAGS, **version_fields})
        with django_capture_on_commit_callbacks(execute=True):
            blob = ingest_chunks([data or safetensors()])
            attach_blob(version=version, blob=blob, name="model.safetensors")
        version.refresh_from_db()
        return version

    return make


def lead_of(team):
    return MembershipFactory(team=team, role=Membership.Role.LEAD).user
