"""Changing a license, a hub flag, a base-model mapping or a profile re-evaluates and
re-blocks the approved requests it affects (Celery runs eagerly here; see test_worker)."""

from __future__ import annotations

import pytest
from django.core import mail
from guardian.shortcuts import get_perms

from governance.approvals import services as approvals
from governance.audit.models import AuditEntry
from governance.catalog.services import import_civitai_model
from governance.errors import ValidationFailed
from governance.licensing import services
from governance.licensing.models import License, LicenseRevision
from governance.lifecycle.selectors import usage_verdict
from tests.catalog.documents import civitai_document

pytestmark = pytest.mark.django_db


def approved(company, version, capture, use="commercial-products"):
    with capture(execute=True):
        request = approvals.request_model(
            requester=company.alice, team=company.team, version=version, intended_use=use
        )
        for reviewer in (company.sam, company.lee):
            approvals.review_request(request=request, reviewer=reviewer, decision="approve")
    request.refresh_from_db()
    assert request.state == "approved"
    return request


def rail_pp() -> License:
    return License.objects.get(key="creativeml-openrail-pp-m")


def prohibit_commercial_use(capture, actor=None):
    lic = rail_pp()
    terms = {
        **lic.terms,
        "commercial_use": {
            "permission": "prohibited",
            "clause": "§2 (amended)",
            "note": "Amended for the test.",
        },
    }
    with capture(execute=True):
        return services.update_license(
            license=lic, actor=actor, changes={"terms": terms}, note="counsel's new reading"
        )


def test_a_license_change_is_versioned_audited_and_reblocks_approved_requests(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    version = stored_version()
    request = approved(company, version, django_capture_on_commit_callbacks)
    research = approved(
        company, stored_version(), django_capture_on_commit_callbacks, use="internal-research"
    )
    mail.outbox.clear()
    lic = prohibit_commercial_use(django_capture_on_commit_callbacks, actor=company.lee)
    assert lic.version == 2
    revision = LicenseRevision.objects.get(license=lic, version=2)
    assert revision.snapshot["terms"]["commercial_use"]["permission"] == "prohibited"
    assert revision.note == "counsel's new reading" and revision.changed_by == company.lee
    entry = AuditEntry.objects.get(action="license.changed")
    assert entry.before["version"] == 1 and entry.after["version"] == 2
    assert entry.after["terms"]["commercial_use"]["permission"] == "prohibited"

    request.refresh_from_db()
    research.refresh_from_db()
    assert request.state == "in_review", "commercial use is no longer licensed"
    assert "License re-evaluation" in request.decision_comment
    assert "§2 (amended)" in request.decision_comment
    assert research.state == "approved", "internal research does not need commercial use"
    assert "use_modelversion" not in get_perms(company.team.group, version)
    assert not usage_verdict(company.alice, version).allowed
    assert any(company.alice.email in m.to for m in mail.outbox), "the team is told"
    assert AuditEntry.objects.filter(action="request.reopened").count() == 1

    # Idempotent: running the re-evaluation again changes nothing.
    result = approvals.reevaluate_licenses(scope={"license": lic.key}, reason="again")
    assert result.reopened == [] and result.checked == 2
    # Saving the same terms again is not a new version.
    assert (
        services.update_license(license=lic, actor=None, changes={"terms": lic.terms}).version == 2
    )


def test_making_a_license_permissive_again_lets_the_reopened_request_through(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    request = approved(company, stored_version(), django_capture_on_commit_callbacks)
    original = rail_pp().terms
    prohibit_commercial_use(django_capture_on_commit_callbacks)
    request.refresh_from_db()
    assert request.state == "in_review"
    with django_capture_on_commit_callbacks(execute=True):
        services.update_license(license=rail_pp(), actor=None, changes={"terms": original})
    request.refresh_from_db()
    assert request.state == "approved", "same files, same approvals: approved again"


def test_invalid_terms_are_refused_and_nothing_changes(company) -> None:
    with pytest.raises(ValidationFailed, match="hosting"):
        services.update_license(
            license=rail_pp(),
            actor=None,
            changes={"terms": {"hosting": {"permission": "sometimes"}}},
        )
    assert rail_pp().version == 1


def test_a_hub_resync_that_withdraws_commercial_use_reblocks(
    company, django_capture_on_commit_callbacks
) -> None:
    from governance.ingest.services import attach_blob, ingest_chunks
    from tests.approvals.conftest import safetensors

    def document(**changes):
        doc = civitai_document(**changes)
        doc["modelVersions"] = [{**doc["modelVersions"][0], "files": []}]
        return doc

    with django_capture_on_commit_callbacks(execute=True):
        model = import_civitai_model(document=document(allowCommercialUse=["Image"])).model
        version = model.versions.order_by("index").first()
        attach_blob(version=version, blob=ingest_chunks([safetensors()]), name="m.safetensors")
    request = approved(company, version, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        import_civitai_model(document=document(allowCommercialUse=["Image"]))  # no change
    request.refresh_from_db()
    assert request.state == "approved"
    with django_capture_on_commit_callbacks(execute=True):
        import_civitai_model(document=document(allowCommercialUse=[]))
    request.refresh_from_db()
    assert request.state == "in_review"
    assert "commercial_image" in request.decision_comment or "Image" in request.decision_comment


def test_changing_a_profile_or_a_base_model_mapping_reevaluates(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    version = stored_version(model__commercial_rent=False)
    request = approved(company, version, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.save_intended_use(
            slug="commercial-products",
            actor=company.lee,
            name="Commercial products and SaaS",
            needs=["commercial_outputs", "commercial_use", "hosting"],
            territories=["US"],
        )
    request.refresh_from_db()
    assert request.state == "in_review" and "hosting" in request.decision_comment.lower()
    assert AuditEntry.objects.filter(action="intended_use.changed").exists()

    other = approved(
        company, stored_version(), django_capture_on_commit_callbacks, use="internal-research"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.set_base_model_license(
            base_model="SDXL 1.0", license=None, actor=None, note="under review"
        )
    other.refresh_from_db()
    assert other.state == "in_review" and "no single license" in other.decision_comment
