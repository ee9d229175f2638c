"""One version walked through every path: approve, reject, waive, expire, quarantine."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from governance.approvals import selectors, services
from governance.approvals.models import ModelRequest, Waiver
from governance.audit.models import AuditEntry
from governance.catalog.models import VersionState as S
from governance.errors import Conflict, PermissionDenied, ValidationFailed
from governance.hookspecs import Finding, hookimpl
from governance.ingest.services import attach_blob, ingest_chunks
from governance.lifecycle.selectors import usage_verdict
from governance.scanning.services import run_scan
from tests.approvals.conftest import MediumFinding, safetensors

pytestmark = pytest.mark.django_db


def request_it(company, version, capture, use="commercial-products"):
    with capture(execute=True):
        return services.request_model(
            requester=company.alice, team=company.team, version=version, intended_use=use
        )


def approve_by_both(company, request, capture):
    with capture(execute=True):
        services.review_request(request=request, reviewer=company.sam, decision="approve")
        services.review_request(request=request, reviewer=company.lee, decision="approve")
    request.refresh_from_db()
    request.version.refresh_from_db()


def test_request_goes_through_gates_and_review_to_approval(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    version = stored_version()
    assert version.state == S.DRAFT
    request = request_it(company, version, django_capture_on_commit_callbacks)
    version.refresh_from_db()
    assert (request.state, version.state) == ("in_review", S.IN_REVIEW)
    assert request.policy == company.policy
    assert not usage_verdict(company.alice, version).allowed
    with django_capture_on_commit_callbacks(execute=True):
        services.review_request(request=request, reviewer=company.sam, decision="approve")
    request.refresh_from_db()
    assert request.state == "in_review", "one of two required roles is not enough"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.review_request(
            request=request, reviewer=company.lee, decision="approve", comment="license is fine"
        )
    request.refresh_from_db()
    version.refresh_from_db()
    assert (request.state, version.state) == ("approved", S.APPROVED)
    assert usage_verdict(company.alice, version).allowed
    assert not usage_verdict(company.outsider, version).allowed
    assert any("alice@example.com" in m.to for m in mail.outbox), "the requester is told"
    entries = AuditEntry.objects.filter(
        object_type="catalog.modelversion", object_id=str(version.pk)
    )
    actions = list(entries.order_by("id").values_list("action", flat=True))
    assert actions == [
        "version.submitted",
        "version.gating",
        "version.in_review",
        "permission.granted",
        "version.approved",
    ]
    granted = entries.get(action="permission.granted")
    assert granted.after["team"] == company.team.slug


def test_requester_cannot_approve_own_request(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    company.alice.role_assignments.create(role=company.security)
    request = request_it(company, stored_version(), django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied, match="separation of duties"):
        services.review_request(request=request, reviewer=company.alice, decision="approve")


def test_one_person_cannot_fill_two_required_roles(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    company.sam.role_assignments.create(role=company.legal)
    request = request_it(company, stored_version(), django_capture_on_commit_callbacks)
    services.review_request(request=request, reviewer=company.sam, decision="approve")
    with pytest.raises(Conflict, match="one person fills one role"):
        services.review_request(
            request=request, reviewer=company.sam, decision="approve", role=company.legal
        )
    request.refresh_from_db()
    assert request.state == "in_review"


def test_a_reviewer_without_a_required_role_is_refused(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    request = request_it(company, stored_version(), django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied, match="none of the reviewer roles"):
        services.review_request(request=request, reviewer=company.outsider, decision="approve")


def test_rejection_rejects_the_version_and_tells_the_requester(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    request = request_it(company, stored_version(), django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.review_request(
            request=request, reviewer=company.lee, decision="reject", comment="license forbids it"
        )
    request.refresh_from_db()
    request.version.refresh_from_db()
    assert (request.state, request.version.state) == ("rejected", S.REJECTED)
    assert request.decision_comment == "license forbids it"
    assert any(company.alice.email in m.to for m in mail.outbox)


def test_a_request_waits_in_gating_until_the_scan_finishes(
    company, django_capture_on_commit_callbacks
) -> None:
    from tests.catalog.factories import ModelVersionFactory

    version = ModelVersionFactory()
    blob = ingest_chunks([safetensors()])  # the scan is queued but has not run
    attach_blob(version=version, blob=blob, name="m.safetensors")
    request = request_it(company, version, django_capture_on_commit_callbacks)
    assert request.state == "gating"
    with django_capture_on_commit_callbacks(execute=True):
        run_scan(scan_id=blob.scans.get().pk)
    request.refresh_from_db()
    assert request.state == "in_review"


def test_a_quarantined_file_rejects_the_request_and_quarantines_the_version(
    company, stored_version, plugin, django_capture_on_commit_callbacks
) -> None:
    class Critical:
        @hookimpl
        def hubgate_scan_file(self, file):
            return [Finding(code="t.rce", severity="critical", message="runs code")]

    plugin(Critical(), name="critical")
    version = stored_version()
    request = request_it(company, version, django_capture_on_commit_callbacks)
    version.refresh_from_db()
    assert (request.state, version.state) == ("rejected", S.QUARANTINED)
    with pytest.raises(Conflict, match="quarantined"):
        services.request_model(
            requester=company.alice, team=company.team, version=version, intended_use="other"
        )


def test_a_finding_blocks_approval_until_waived_and_an_expired_waiver_reblocks(
    company, stored_version, plugin, django_capture_on_commit_callbacks
) -> None:
    plugin(MediumFinding(), name="medium")
    version = stored_version()
    request = request_it(company, version, django_capture_on_commit_callbacks)
    with pytest.raises(Conflict, match="gates fail"):
        services.review_request(request=request, reviewer=company.sam, decision="approve")
    request.refresh_from_db()
    assert request.state == "in_review", "an open finding blocks approval"
    finding = version.files.get().blob.current_scan.findings.get(scanner="medium")
    with pytest.raises(PermissionDenied, match="no reviewer role that may grant"):
        services.grant_waiver(
            version=version,
            finding=finding,
            granted_by=company.lee,
            justification="x",
            scope="x",
            expires_at=timezone.now() + timedelta(days=7),
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.grant_waiver(
            version=version,
            finding=finding,
            granted_by=company.sam,
            justification="benign oddity, checked by hand",
            scope="studio, image generation only",
            expires_at=timezone.now() + timedelta(days=7),
        )
    request.refresh_from_db()
    assert request.state == "in_review", "the waiver alone approves nothing"
    approve_by_both(company, request, django_capture_on_commit_callbacks)
    assert (request.state, request.version.state) == ("approved", S.APPROVED)
    version.refresh_from_db()
    # A week later: the waiver's time is up.
    Waiver.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.expire_waivers() == 1
    version.refresh_from_db()
    request.refresh_from_db()
    assert version.state == S.IN_REVIEW, "an expired waiver re-blocks the version"
    assert request.state == "in_review" and "expired" in request.decision_comment
    assert not usage_verdict(company.alice, version).allowed
    assert services.expire_waivers() == 0, "each expiry is handled once"
    # A new waiver lets the standing approvals (same files) complete the request again.
    with django_capture_on_commit_callbacks(execute=True):
        services.grant_waiver(
            version=version,
            finding=finding,
            granted_by=company.sam,
            justification="re-checked",
            scope="studio",
            expires_at=timezone.now() + timedelta(days=7),
        )
    request.refresh_from_db()
    version.refresh_from_db()
    assert (request.state, version.state) == ("approved", S.APPROVED)
    assert usage_verdict(company.alice, version).allowed


def test_waiver_guards(company, stored_version, plugin, django_capture_on_commit_callbacks):
    plugin(MediumFinding(), name="medium")
    version = stored_version()
    finding = version.files.get().blob.current_scan.findings.get(scanner="medium")
    with pytest.raises(ValidationFailed, match="expires_at"):
        services.grant_waiver(
            version=version,
            finding=finding,
            granted_by=company.sam,
            justification="j",
            scope="s",
            expires_at=timezone.now() + timedelta(days=999),
        )
    finding.severity, finding.severity_rank = "critical", 4
    finding.save()
    with pytest.raises(PermissionDenied, match="Critical security findings cannot be waived"):
        services.grant_waiver(
            version=version,
            finding=finding,
            granted_by=company.sam,
            justification="j",
            scope="s",
            expires_at=timezone.now() + timedelta(days=1),
        )


def test_changing_a_file_voids_the_approval(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    version = stored_version()
    request = request_it(company, version, django_capture_on_commit_callbacks)
    approve_by_both(company, request, django_capture_on_commit_callbacks)
    assert request.version.state == S.APPROVED
    with django_capture_on_commit_callbacks(execute=True):
        blob = ingest_chunks([safetensors(b"\x07")])
        attach_blob(version=version, blob=blob, name="model-v2.safetensors")
    version.refresh_from_db()
    request.refresh_from_db()
    assert (version.state, request.state) == (S.IN_REVIEW, "in_review")
    assert not usage_verdict(company.alice, version).allowed
    # The earlier approvals were for other files: the same reviewers must approve again.
    assert not selectors.valid_approvals(request).exists()


def test_no_matching_policy_blocks_review(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    company.policy.active = False
    company.policy.save()
    request = request_it(company, stored_version(), django_capture_on_commit_callbacks)
    assert request.policy is None
    with pytest.raises(Conflict, match="No approval policy matches"):
        services.review_request(request=request, reviewer=company.sam, decision="approve")


def test_only_team_members_request_for_their_team(company, stored_version) -> None:
    with pytest.raises(PermissionDenied, match="team you belong to"):
        services.request_model(
            requester=company.outsider,
            team=company.team,
            version=stored_version(),
            intended_use="x",
        )


def test_one_open_request_per_team_version_and_use(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    version = stored_version()
    request_it(company, version, django_capture_on_commit_callbacks)
    with pytest.raises(Conflict, match="already has an open request"):
        request_it(company, version, django_capture_on_commit_callbacks)
    assert ModelRequest.objects.count() == 1


def test_approve_is_refused_while_a_gate_fails_and_names_the_reasons(
    company, stored_version, plugin, django_capture_on_commit_callbacks
) -> None:
    plugin(MediumFinding(), name="medium")
    request = request_it(company, stored_version(), django_capture_on_commit_callbacks)
    with pytest.raises(Conflict) as refused:
        services.review_request(request=request, reviewer=company.sam, decision="approve")
    assert any("t.odd" in reason for reason in refused.value.errors["gates"])
    assert not request.reviews.exists(), "a refused approval leaves no review behind"
    # Rejecting stays possible: a reviewer may always say no.
    services.review_request(request=request, reviewer=company.sam, decision="reject")
    request.refresh_from_db()
    assert request.state == "rejected"


def test_only_the_requester_withdraws_an_open_request_and_a_decided_one_stays(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    request = request_it(company, stored_version(), django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied):
        services.withdraw_request(request=request, actor=company.sam)
    withdrawn = services.withdraw_request(request=request, actor=company.alice)
    assert withdrawn.state == "withdrawn"
    assert AuditEntry.objects.filter(action="request.withdrawn", actor=company.alice).exists()
    with pytest.raises(Conflict, match="already withdrawn"):
        services.withdraw_request(request=request, actor=company.alice)
