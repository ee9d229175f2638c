"""The license gate on requests, and legal decisions that settle a "needs review"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.approvals import services as approvals
from governance.audit.models import AuditEntry
from governance.catalog.models import VersionState as S
from governance.catalog.services import set_permission_flags
from governance.errors import Conflict, PermissionDenied, ValidationFailed
from governance.licensing import selectors, services
from governance.licensing.models import IntendedUse
from governance.lifecycle.selectors import usage_verdict
from tests.accounts.factories import RoleAssignmentFactory
from tests.licensing.factories import approve_by_both, decide, request_use

pytestmark = pytest.mark.django_db


def license_items(request):
    return [i for i in request.gate_runs.first().items if i["gate"] == "license"]


def test_a_request_must_name_a_profile_its_team_may_use(company, stored_version) -> None:
    version = stored_version()
    with pytest.raises(ValidationFailed, match="valid: commercial-products") as caught:
        approvals.request_model(
            requester=company.alice, team=company.team, version=version, intended_use="whatever"
        )
    assert "internal-research" in caught.value.errors["intended_use"][0]
    services.save_intended_use(
        slug="research-only-eval",
        name="Research team evaluation",
        team=company.other_team,
        actor=None,
    )
    with pytest.raises(ValidationFailed, match="research-only-eval"):
        approvals.request_model(
            requester=company.alice,
            team=company.team,
            version=version,
            intended_use="research-only-eval",
        )


def test_a_compliant_request_passes_the_license_gate_with_its_obligations(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    version = stored_version(model__allow_no_credit=False)
    request = request_use(
        company, version, "commercial-products", django_capture_on_commit_callbacks
    )
    (item,) = license_items(request)
    assert item["status"] == "passed" and "CreativeML Open RAIL++-M" in item["reason"]
    request = approve_by_both(company, request, django_capture_on_commit_callbacks)
    assert request.state == "approved"


def test_a_non_compliant_request_is_blocked_and_cannot_be_waived_or_decided(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    version = stored_version(base_model="Flux.1 D")
    request = request_use(
        company, version, "commercial-products", django_capture_on_commit_callbacks
    )
    items = license_items(request)
    assert items and all(i["status"] == "failed" and not i["waivable"] for i in items)
    assert any("§1(c)" in i["reason"] for i in items)
    with pytest.raises(Conflict, match="gates fail"):
        approve_by_both(company, request, django_capture_on_commit_callbacks)
    request.refresh_from_db()
    version.refresh_from_db()
    assert (request.state, version.state) == ("in_review", S.IN_REVIEW)
    assert not usage_verdict(company.alice, version).allowed
    with pytest.raises(Conflict, match="cannot change that"):
        decide(company, version, justification="we asked BFL")


def _needs_review(company, stored_version, capture):
    # Stability AI Community License, company revenue not configured: needs review.
    version = stored_version(base_model="SD 3.5 Large")
    request = request_use(company, version, "commercial-products", capture)
    assert any("USD 1,000,000" in i["reason"] for i in license_items(request))
    with pytest.raises(Conflict, match="gates fail"):
        approve_by_both(company, request, capture)
    request.refresh_from_db()
    assert request.state == "in_review", "needs review blocks approval"
    return version, request


def test_needs_review_blocks_until_a_legal_reviewer_decides(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    version, request = _needs_review(company, stored_version, django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied, match="legal reviewer"):
        decide(company, version, decided_by=company.sam, days=90)
    with pytest.raises(ValidationFailed, match="justification"):
        decide(company, version, justification=" ", days=90)
    with pytest.raises(ValidationFailed, match="expires_at"):
        decide(company, version, days=4000)
    decision = decide(
        company,
        version,
        django_capture_on_commit_callbacks,
        days=90,
        justification="Revenue USD 400k in FY2026; registered with Stability AI.",
    )
    request.refresh_from_db()
    assert request.state == "in_review", "the decision alone approves nothing"
    request = approve_by_both(company, request, django_capture_on_commit_callbacks)
    assert request.state == "approved", "approvable once the decision passed the gate"
    (item,) = license_items(request)
    assert item["status"] == "waived" and "legal decision" in item["reason"]
    entry = AuditEntry.objects.get(action="license.decided")
    assert entry.actor == company.lee and entry.after["reasons"], "audited with what it decided"
    assert decision.role.slug == "legal"


def test_an_expired_or_revoked_decision_reopens_the_approval(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    version, request = _needs_review(company, stored_version, django_capture_on_commit_callbacks)
    decide(company, version, django_capture_on_commit_callbacks, days=7)
    request = approve_by_both(company, request, django_capture_on_commit_callbacks)
    assert request.state == "approved"
    with django_capture_on_commit_callbacks(execute=True):
        assert services.expire_license_decisions(now=timezone.now() + timedelta(days=8)) == 1
    request.refresh_from_db()
    assert request.state == "in_review"
    assert "license decision" in request.decision_comment
    assert not usage_verdict(company.alice, version).allowed
    assert services.expire_license_decisions(now=timezone.now() + timedelta(days=9)) == 0
    assert AuditEntry.objects.filter(action="license.decision_expired").count() == 1
    # A new decision, then revoked.
    decision = decide(company, version, django_capture_on_commit_callbacks, days=7)
    request.refresh_from_db()
    assert request.state == "approved"
    with django_capture_on_commit_callbacks(execute=True):
        services.revoke_license_decision(decision=decision, actor=company.lee)
    request.refresh_from_db()
    assert request.state == "in_review"


def test_a_decision_holds_only_for_the_terms_it_was_made_on(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    version, request = _needs_review(company, stored_version, django_capture_on_commit_callbacks)
    profile = IntendedUse.objects.get(slug="commercial-products")
    decide(company, version, django_capture_on_commit_callbacks)
    assert selectors.license_verdict(version=version, profile=profile).passes
    # The creator stops allowing third-party generation services: a different basis.
    with django_capture_on_commit_callbacks(execute=True):
        set_permission_flags(model=version.model, flags={"commercial_rent": False})
    status = selectors.license_verdict(version=version, profile=profile)
    assert status.decision is None and status.stale_decisions
    request.refresh_from_db()
    assert request.state == "in_review", "re-evaluated after the flag change"


def test_a_legal_non_compliant_decision_blocks(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    version, request = _needs_review(company, stored_version, django_capture_on_commit_callbacks)
    decide(
        company,
        version,
        django_capture_on_commit_callbacks,
        outcome="non_compliant",
        justification="Our revenue is above USD 1M.",
    )
    request.refresh_from_db()
    (item,) = license_items(request)
    assert (request.state, item["status"]) == ("in_review", "failed")


def test_license_reviewer_roles_are_configurable(company, settings) -> None:
    RoleAssignmentFactory(user=company.sam, role__slug="counsel", role__name="Counsel")
    assert not selectors.is_license_reviewer(company.sam)
    settings.HUBGATE_LICENSE_REVIEWER_ROLES = ["counsel"]
    assert selectors.is_license_reviewer(company.sam)
    assert not selectors.is_license_reviewer(company.lee)
