"""Importing from the (fake) hub: by id, URL, AIR or hash; idempotent; a bad hub writes nothing."""

import copy

import pytest

from governance.audit.models import AuditEntry
from governance.catalog.models import Image, Model, ModelFile, ModelVersion, VersionState
from governance.connectors import services
from governance.connectors.errors import HubNotFound, HubUnavailable
from governance.connectors.models import ConnectorJob, HubConnection, TrackedModel
from governance.errors import InvalidHubPayload, InvalidReference
from tests.connectors.hub import CLAYMATION, MERIDIAN

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Model, ModelVersion, ModelFile, Image))


def test_every_kind_of_reference_imports_the_same_model_once(fake_hub, hub_client) -> None:
    doc = fake_hub.model(MERIDIAN)
    version = doc["modelVersions"][1]
    sha256 = version["files"][0]["hashes"]["SHA256"]
    references = [
        f"civitai:{MERIDIAN}",
        f"https://civitai.com/models/{MERIDIAN}/meridian?modelVersionId={version['id']}",
        f"urn:air:sd3:checkpoint:civitai:{MERIDIAN}@{version['id']}",
        sha256.lower(),
        sha256[:10],
    ]
    first = services.import_model(reference=references[0], client=hub_client)
    assert first.created and first.versions_created == len(doc["modelVersions"])
    counts = _counts()
    for reference in references[1:]:
        outcome = services.import_model(reference=reference, client=hub_client)
        assert outcome.model.pk == first.model.pk
        assert not outcome.created and outcome.versions_created == 0
        assert _counts() == counts
    assert outcome.download_version.external_id == str(version["id"])


def test_a_bare_number_is_refused_with_the_civitai_spelling(fake_hub, hub_client) -> None:
    # A bare number is a Hubgate version id (governance.catalog.references); guessing it
    # means a CivitAI model would import something else than the CI check reads it as.
    with pytest.raises(InvalidReference, match=f"civitai:{MERIDIAN}"):
        services.import_model(reference=str(MERIDIAN), client=hub_client)
    assert not Model.objects.exists()


def test_an_import_keeps_everything_the_hub_publishes(fake_hub, hub_client) -> None:
    doc = fake_hub.model(MERIDIAN)
    model = services.import_model(reference=f"civitai:{MERIDIAN}", client=hub_client).model
    assert model.name == doc["name"] and model.creator.username == doc["creator"]["username"]
    assert sorted(model.tags.values_list("name", flat=True)) == sorted(doc["tags"])
    assert model.allow_commercial_use == doc["allowCommercialUse"]
    assert model.download_count == doc["stats"]["downloadCount"]
    for hub_version in doc["modelVersions"]:
        version = model.versions.get(external_id=str(hub_version["id"]))
        assert version.state == VersionState.DRAFT
        for hub_file in hub_version["files"]:
            file = version.files.get(external_id=str(hub_file["id"]))
            assert file.hashes == hub_file["hashes"]
        assert version.images.count() == len(hub_version["images"])
    assert TrackedModel.objects.get(model=model).external_id == str(MERIDIAN)
    entry = AuditEntry.objects.filter(action="connector.model_imported").get()
    assert entry.after["external_id"] == str(MERIDIAN)
    assert HubConnection.objects.get().status == HubConnection.Status.OK


def test_a_document_missing_a_field_is_refused_whole(fake_hub, hub_client) -> None:
    broken = copy.deepcopy(fake_hub.model(CLAYMATION))
    del broken["modelVersions"][2]["files"][0]["name"]
    fake_hub.put_model(broken)
    with pytest.raises(InvalidHubPayload, match=r"modelVersions\[2\]\.files\[0\]\.name"):
        services.import_model(reference=f"civitai:{CLAYMATION}", client=hub_client)
    assert _counts() == (0, 0, 0, 0)
    assert not AuditEntry.objects.filter(action="connector.model_imported").exists()


def test_wrong_types_are_refused_naming_the_field(fake_hub, hub_client) -> None:
    broken = copy.deepcopy(fake_hub.model(CLAYMATION))
    broken["stats"]["downloadCount"] = "lots"
    fake_hub.put_model(broken)
    with pytest.raises(InvalidHubPayload, match=r"stats\.downloadCount must be an integer"):
        services.import_model(reference=f"civitai:{CLAYMATION}", client=hub_client)
    assert _counts() == (0, 0, 0, 0)


def test_a_hub_answering_with_another_model_is_refused(fake_hub, hub_client) -> None:
    other = copy.deepcopy(fake_hub.model(MERIDIAN))
    fake_hub._models[CLAYMATION] = other
    with pytest.raises(InvalidHubPayload, match=f"asked for model {CLAYMATION}"):
        services.import_model(reference=f"civitai:{CLAYMATION}", client=hub_client)
    assert _counts() == (0, 0, 0, 0)


def test_a_version_the_model_does_not_list_rolls_the_import_back(hub_client) -> None:
    with pytest.raises(HubNotFound, match="not among the published versions"):
        services.import_model(reference=f"civitai:{CLAYMATION}@1", client=hub_client)
    assert _counts() == (0, 0, 0, 0)


def test_malformed_json_fails_the_import_and_marks_the_connection(fake_hub, hub_client) -> None:
    fake_hub.faults.bad_json = 1
    with pytest.raises(InvalidHubPayload, match="malformed JSON"):
        services.import_model(reference=f"civitai:{CLAYMATION}", client=hub_client)
    connection = HubConnection.objects.get()
    assert connection.status == HubConnection.Status.DEGRADED
    assert "malformed JSON" in connection.detail
    services.import_model(reference=f"civitai:{CLAYMATION}", client=hub_client)
    assert HubConnection.objects.get().status == HubConnection.Status.OK


def test_a_hub_that_is_down_fails_without_writing(fake_hub, hub_client) -> None:
    fake_hub.faults.server_errors = 10
    with pytest.raises(HubUnavailable):
        services.import_model(reference=f"civitai:{CLAYMATION}", client=hub_client)
    assert _counts() == (0, 0, 0, 0)


def test_a_listing_imports_every_valid_model_and_names_the_bad_ones(fake_hub, hub_client) -> None:
    broken = copy.deepcopy(fake_hub.model(CLAYMATION))
    broken["type"] = "Spaceship"
    fake_hub.put_model(broken)
    job = ConnectorJob.objects.create(kind=ConnectorJob.Kind.LISTING)
    report = services.import_listing(params={"limit": 10}, client=hub_client, job=job)
    total = len([m for m in fake_hub.models() if m["mode"] != "TakenDown"])  # as on CivitAI
    assert (report.imported, report.failed, report.pages) == (total - 1, 1, 7)
    assert not Model.objects.filter(external_id=str(CLAYMATION)).exists()
    job.refresh_from_db()
    assert job.done == total and job.failed == 1
    assert "type has an unknown value 'Spaceship'" in job.errors[0]["error"]


def test_health_check_reports_latency_and_outages(fake_hub, hub_client) -> None:
    connection = services.check_health(client=hub_client)
    assert connection.status == HubConnection.Status.OK and connection.latency_ms is not None
    fake_hub.faults.server_errors = 1
    connection = services.check_health(client=hub_client)
    assert connection.status == HubConnection.Status.DEGRADED
    assert "HTTP 500" in connection.detail
