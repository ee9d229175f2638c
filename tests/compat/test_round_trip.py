"""Round trip: imported from the (fake) hub, files stored, approved — served back as CivitAI
served it, field for field, under CivitAI's ids, findable by CivitAI's hashes."""

import copy

import pytest
from django.test import Client

from governance.accounts.services import create_api_key
from governance.catalog.models import Model
from governance.connectors import services
from governance.usage.models import UsageEvent
from tests.accounts.factories import MembershipFactory
from tests.connectors.hub import CLAYMATION, DIORAMA, MERIDIAN, approve_for

pytestmark = pytest.mark.django_db

ROUND_TRIP_MODELS = [CLAYMATION, MERIDIAN, DIORAMA]


def _expected(hub_document: dict, base_url: str) -> dict:
    """What the compatible API must answer: the hub's document with Hubgate's download URLs
    (same paths, this host) and tags in any order."""
    document = copy.deepcopy(hub_document)
    for version in document["modelVersions"]:
        version["downloadUrl"] = version["downloadUrl"].replace("https://civitai.com", base_url)
        for file in version["files"]:
            file["downloadUrl"] = file["downloadUrl"].replace("https://civitai.com", base_url)
    document["tags"] = sorted(document["tags"])
    return document


def _diff(expected, actual, path="") -> list[str]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        keys = expected.keys() | actual.keys()
        return [
            d
            for k in sorted(keys)
            for d in _diff(expected.get(k, "<absent>"), actual.get(k, "<absent>"), f"{path}.{k}")
        ]
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [
            d
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in _diff(e, a, f"{path}[{i}]")
        ]
    return [] if expected == actual else [f"{path}: hub {expected!r:.80} != served {actual!r:.80}"]


@pytest.fixture
def approved_from_hub(fake_hub, hub_client, django_capture_on_commit_callbacks):
    """Three hub models imported, every file downloaded, verified and scanned, every version
    approved for a team; returns the team member's API key."""
    member = MembershipFactory().user
    team = member.teams.get()
    for model_id in ROUND_TRIP_MODELS:
        services.import_model(reference=f"civitai:{model_id}", client=hub_client)
        for version in Model.objects.get(external_id=str(model_id)).versions.all():
            with django_capture_on_commit_callbacks(execute=True):  # the scans run on commit
                services.download_version_files(version=version, client=hub_client)
            approve_for(team, version)
    _, raw = create_api_key(user=member, name="tool", scopes=["read"])
    return raw


def test_an_approved_hub_model_comes_back_with_the_same_json(fake_hub, approved_from_hub) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {approved_from_hub}")
    base_url = "http://testserver"
    for model_id in ROUND_TRIP_MODELS:
        response = client.get(f"/api/v1/models/{model_id}")
        assert response.status_code == 200, response.content
        served = response.json()
        served["tags"] = sorted(served["tags"])
        expected = _expected(fake_hub.model(model_id), base_url)
        assert _diff(expected, served) == []


def test_the_listing_serves_the_same_documents_with_hub_ids(fake_hub, approved_from_hub) -> None:
    client = Client()
    body = client.get(
        "/api/v1/models", {"token": approved_from_hub, "nsfw": "true", "sort": "Most Downloaded"}
    ).json()
    assert [m["id"] for m in body["items"]] == sorted(
        ROUND_TRIP_MODELS, key=lambda i: -fake_hub.model(i)["stats"]["downloadCount"]
    )
    for served in body["items"]:
        served["tags"] = sorted(served["tags"])
        assert _diff(_expected(fake_hub.model(served["id"]), "http://testserver"), served) == []
    assert body["metadata"] == {}  # one page: no next cursor


def test_a_version_is_found_by_every_hash_the_hub_published(fake_hub, approved_from_hub) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {approved_from_hub}")
    model = fake_hub.model(MERIDIAN)
    version = model["modelVersions"][1]
    for name, value in version["files"][0]["hashes"].items():
        if name == "AutoV1":
            continue  # the fake's files are under 1 MiB, so every AutoV1 is the same
        response = client.get(f"/api/v1/model-versions/by-hash/{value.lower()}")
        assert response.status_code == 200, (name, response.content)
        body = response.json()
        assert (body["id"], body["modelId"]) == (version["id"], MERIDIAN)
    detail = client.get(f"/api/v1/model-versions/{version['id']}").json()
    assert detail["air"] == f"urn:air:sd3:checkpoint:civitai:{MERIDIAN}@{version['id']}"
    assert detail["model"] == {
        "name": model["name"],
        "type": model["type"],
        "nsfw": False,
        "poi": False,
        "minor": False,
    }
    hub_version = fake_hub.version_document(model, version)
    for key in (
        "name",
        "baseModel",
        "createdAt",
        "publishedAt",
        "trainedWords",
        "stats",
        "nsfwLevel",
        "description",
        "images",
    ):
        assert detail[key] == hub_version[key], key
    assert [f["hashes"] for f in detail["files"]] == [f["hashes"] for f in version["files"]]


def test_a_tool_downloads_the_same_bytes_the_hub_published(fake_hub, approved_from_hub) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {approved_from_hub}")
    model = client.get(f"/api/v1/models/{MERIDIAN}").json()
    for file in model["modelVersions"][0]["files"]:
        response = client.get(file["downloadUrl"].removeprefix("http://testserver"))
        assert response.status_code == 200, response.content
        assert b"".join(response.streaming_content) == fake_hub.file_bytes(file["id"])
    events = UsageEvent.objects.filter(client="civitai-api")
    assert events.count() == 2
    assert {e.file.external_id for e in events} == {
        str(f["id"]) for f in model["modelVersions"][0]["files"]
    }
    assert all(e.team is not None for e in events)
