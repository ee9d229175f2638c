"""Through the broker to a real Celery worker: a license change re-evaluates and re-blocks."""

from __future__ import annotations

import time

import pytest
from guardian.shortcuts import get_perms

from governance.approvals import services as approvals
from governance.approvals.models import ModelRequest
from governance.audit.models import AuditEntry
from governance.catalog.models import VersionState as S
from governance.ingest.services import attach_blob, ingest_chunks
from governance.licensing import services
from governance.licensing.models import License
from governance.scanning.models import FileScan
from tests.approvals.conftest import safetensors
from tests.catalog.factories import ModelVersionFactory
from tests.licensing.factories import PERMISSIVE_FLAGS


def wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.worker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_license_change_reblocks_approved_versions_through_the_worker(
    celery_worker_process, company
) -> None:
    version = ModelVersionFactory(base_model="SDXL 1.0", **PERMISSIVE_FLAGS)
    blob = ingest_chunks([safetensors()])
    attach_blob(version=version, blob=blob, name="model.safetensors")
    scan = blob.scans.get()
    assert wait_for(lambda: FileScan.objects.get(pk=scan.pk).status == FileScan.Status.DONE), (
        "the worker never scanned the file"
    )
    request = approvals.request_model(
        requester=company.alice,
        team=company.team,
        version=version,
        intended_use="commercial-products",
    )
    for reviewer in (company.sam, company.lee):
        approvals.review_request(request=request, reviewer=reviewer, decision="approve")
    request.refresh_from_db()
    assert request.state == ModelRequest.State.APPROVED
    assert "use_modelversion" in get_perms(company.team.group, version)

    lic = License.objects.get(key="creativeml-openrail-pp-m")
    terms = {
        **lic.terms,
        "commercial_use": {
            "permission": "prohibited",
            "clause": "§2 (amended)",
            "note": "Withdrawn for the test.",
        },
    }
    # Committed here; the re-evaluation is queued after commit and runs in the worker.
    services.update_license(
        license=lic, actor=company.lee, changes={"terms": terms}, note="counsel's new reading"
    )

    def reopened() -> bool:
        # The request is reopened, then its version goes back through the gates into review.
        return (
            ModelRequest.objects.get(pk=request.pk).state == ModelRequest.State.IN_REVIEW
            and type(version).objects.get(pk=version.pk).state == S.IN_REVIEW
        )

    assert wait_for(reopened), "the worker did not re-evaluate the request"
    request.refresh_from_db()
    version.refresh_from_db()
    assert "§2 (amended)" in request.decision_comment
    assert version.state == S.IN_REVIEW
    assert "use_modelversion" not in get_perms(company.team.group, version)
    assert AuditEntry.objects.filter(action="request.reopened", object_id=str(request.pk)).exists()
    assert celery_worker_process.poll() is None
