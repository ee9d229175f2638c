import pytest

from governance.approvals.models import ModelRequest, Review
from governance.approvals.selectors import files_fingerprint
from governance.audit.models import AuditEntry
from governance.catalog.models import VersionState
from tests.accounts.factories import ReviewerRoleFactory, TeamFactory
from tests.approvals.factories import (
    ApprovalPolicyFactory,
    ModelRequestFactory,
    ReviewFactory,
    WaiverFactory,
)

pytestmark = pytest.mark.django_db


def test_an_approval_policy_requires_a_role_and_may_name_teams():
    policy = ApprovalPolicyFactory()
    policy.full_clean()
    assert policy.required_roles.count() == 1 and not policy.teams.exists()
    security, legal, team = ReviewerRoleFactory(), ReviewerRoleFactory(), TeamFactory()
    policy = ApprovalPolicyFactory(required_roles=[security, legal], teams=[team], quorum=2)
    assert set(policy.required_roles.all()) == {security, legal}
    assert list(policy.teams.all()) == [team]


def test_a_model_request_is_made_by_a_member_and_submits_its_version():
    request = ModelRequestFactory()
    request.full_clean()
    assert request.team.memberships.filter(user=request.requester).exists()
    assert request.state in ModelRequest.State.values
    assert request.version.state != VersionState.DRAFT
    assert AuditEntry.objects.filter(action="request.created", object_id=str(request.pk)).exists()


def test_a_waiver_waives_a_current_finding_of_its_version():
    waiver = WaiverFactory()
    waiver.full_clean()
    blob = waiver.version.files.get().blob
    finding = blob.current_scan.findings.get()
    assert (waiver.blob_sha256, waiver.code) == (blob.sha256, finding.code)
    assert waiver.role.can_waive and waiver.expires_at > waiver.granted_at


def test_a_review_is_given_in_the_role_its_requests_policy_requires():
    review = ReviewFactory()
    review.full_clean()
    assert review.request.policy.required_roles.get() == review.role
    assert review.reviewer.role_assignments.get().role == review.role
    assert review.files_fingerprint == files_fingerprint(review.request.version)
    assert review.decision == Review.Decision.REJECT  # its request's gates fail: see the factory


def test_a_rejecting_review_rejects_its_request():
    review = ReviewFactory(decision=Review.Decision.REJECT, comment="Trained on scraped art.")
    review.request.refresh_from_db()
    assert review.request.state == ModelRequest.State.REJECTED
