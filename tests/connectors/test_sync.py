"""The periodic sync: new versions arrive as drafts, stats refresh, takedowns reach the admins."""

import copy

import pytest
from django.core import mail

from governance.audit.models import AuditEntry
from governance.catalog.models import Model, VersionState
from governance.connectors import services
from governance.connectors.models import ConnectorJob, TrackedModel
from governance.events.models import Webhook, WebhookDelivery
from tests.accounts.factories import UserFactory
from tests.connectors.hub import CLAYMATION, MERIDIAN, approve_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def tracked(hub_client):
    for model_id in (CLAYMATION, MERIDIAN):
        services.import_model(reference=f"civitai:{model_id}", client=hub_client)
    return Model.objects.get(external_id=str(CLAYMATION))


def _new_version(document: dict) -> dict:
    version = copy.deepcopy(document["modelVersions"][0])
    version["id"], version["name"], version["index"] = 9_990_001, "v3.0", 0
    for position, file in enumerate(version["files"]):
        file["id"] = 9_990_100 + position
    for position, image in enumerate(version["images"]):
        image["id"] = 9_990_200 + position
    for older in document["modelVersions"]:
        older["index"] += 1
    document["modelVersions"].insert(0, version)
    return document


def test_sync_adds_new_versions_as_drafts_and_refreshes_stats(
    fake_hub, hub_client, tracked
) -> None:
    approved = approve_for(None, tracked.versions.get(index=0))
    document = _new_version(copy.deepcopy(fake_hub.model(CLAYMATION)))
    document["stats"]["downloadCount"] += 1000
    fake_hub.put_model(document)
    job = ConnectorJob.objects.create(kind=ConnectorJob.Kind.SYNC)
    report = services.sync_tracked(client=hub_client, job=job)
    assert (report.synced, report.versions_created, report.failed) == (2, 1, 0)
    tracked.refresh_from_db()
    assert tracked.download_count == document["stats"]["downloadCount"]
    new = tracked.versions.get(external_id="9990001")
    assert new.state == VersionState.DRAFT and new.index == 0
    approved.refresh_from_db()
    assert approved.state == VersionState.APPROVED  # a sync never touches the lifecycle
    assert AuditEntry.objects.filter(action="connector.versions_discovered").count() == 1
    job.refresh_from_db()
    assert (job.done, job.total) == (2, 2)
    # One request for both models (ids=…), not one per model.
    listing = [r for r in fake_hub.requests if r.path == "/api/v1/models"]
    assert len(listing) == 1 and listing[0].query["ids"] == [f"{CLAYMATION},{MERIDIAN}"]


def test_a_takedown_on_the_hub_is_flagged_to_the_admins_once(
    fake_hub, hub_client, tracked, django_capture_on_commit_callbacks
) -> None:
    admin = UserFactory(username="root", is_staff=True, email="root@example.com")
    UserFactory(username="someone", email="someone@example.com")
    Webhook.objects.create(name="ops", url="https://ops.example.com/hook", events=["model.*"])
    document = copy.deepcopy(fake_hub.model(CLAYMATION))
    document["mode"] = "TakenDown"
    # CivitAI leaves taken-down models out of listings but still answers /models/{id}.
    fake_hub.put_model(document)
    with django_capture_on_commit_callbacks(execute=True):
        report = services.sync_tracked(client=hub_client)
    assert report.flagged == [f"{tracked.name} (taken down)"]
    assert [r.path for r in fake_hub.requests[-2:]] == [
        "/api/v1/models",
        f"/api/v1/models/{CLAYMATION}",
    ]
    entry = TrackedModel.objects.get(model=tracked)
    assert entry.hub_mode == "TakenDown" and entry.flagged_at is not None
    tracked.refresh_from_db()
    assert tracked.mode == "TakenDown"
    assert AuditEntry.objects.filter(action="connector.model.taken_down").count() == 1
    assert WebhookDelivery.objects.filter(event="model.taken_down").count() == 1
    assert [m.to for m in mail.outbox] == [[admin.email]]
    second = services.sync_tracked(client=hub_client)
    assert second.flagged == []  # already flagged: no second alarm
    assert AuditEntry.objects.filter(action="connector.model.taken_down").count() == 1


def test_a_model_gone_from_the_hub_is_flagged_as_removed(fake_hub, hub_client, tracked) -> None:
    fake_hub.remove_model(CLAYMATION)
    report = services.sync_tracked(client=hub_client)
    assert report.flagged == [f"{tracked.name} (removed)"]
    assert TrackedModel.objects.get(model=tracked).removed_from_hub
    assert Model.objects.filter(pk=tracked.pk).exists()  # the catalog keeps it


def test_a_broken_document_fails_that_model_only(fake_hub, hub_client, tracked) -> None:
    document = copy.deepcopy(fake_hub.model(MERIDIAN))
    document["modelVersions"][0]["files"][0]["hashes"]["SHA256"] = "not-hex"
    fake_hub.real_files = False  # keep the bad hash as given
    fake_hub.put_model(document)
    report = services.sync_tracked(client=hub_client)
    assert (report.synced, report.failed) == (1, 1)
    entry = TrackedModel.objects.get(external_id=str(MERIDIAN))
    assert "hashes.SHA256 must be 64 hexadecimal digits" in entry.last_error


def test_a_sync_rescores_the_models_that_changed_and_only_those(
    fake_hub, hub_client, tracked, django_capture_on_commit_callbacks
) -> None:
    from governance.catalog.models import VersionScore

    document = copy.deepcopy(fake_hub.model(CLAYMATION))
    document["modelVersions"][0]["stats"]["downloadCount"] += 5
    fake_hub.put_model(document)
    with django_capture_on_commit_callbacks(execute=True):
        services.sync_tracked(client=hub_client)
    scored = set(VersionScore.objects.values_list("version__model__external_id", flat=True))
    assert scored == {str(CLAYMATION)}  # Meridian did not change on the hub
    assert set(VersionScore.objects.values_list("version_id", flat=True)) == set(
        tracked.versions.values_list("pk", flat=True)
    )
