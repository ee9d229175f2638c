"""The catalog's read API, over real HTTP requests through Django's test client."""

import pytest
from rest_framework.test import APIClient

from governance.catalog.services import import_civitai_model
from governance.scoring.services import refresh_version_scores
from tests.accounts.factories import UserFactory
from tests.catalog.documents import SHA, civitai_document
from tests.catalog.factories import ModelFactory, ModelFileFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert body["type"] == f"urn:hubgate:problem:{code}"
    assert body["title"] and body["detail"]
    return body


def test_anonymous_requests_get_a_problem_document() -> None:
    response = APIClient().get("/api/models/")
    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_list_and_detail_show_the_imported_model(api_client) -> None:
    model = import_civitai_model(document=civitai_document()).model
    listing = api_client.get("/api/models/").json()
    assert listing["count"] == 1
    row = listing["results"][0]
    assert (row["name"], row["creator"], row["allow_commercial_use"]) == (
        "Lumen Photoreal XL",
        "lumenlabs",
        ["Image", "Rent"],
    )
    assert [v["name"] for v in row["versions"]] == ["v2.0", "v1.0"]
    detail = api_client.get(f"/api/models/{model.pk}/").json()
    file = detail["versions"][0]["files"][0]
    assert file["hashes"]["SHA256"] == SHA and file["size_bytes"] == round(6775430.5 * 1024)
    assert detail["versions"][0]["images"][0]["meta"]["seed"] == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("type=Checkpoint", {"ink"}),
        ("type=LORA&type=VAE", {"neon", "vae"}),
        ("base_model=Pony", {"neon"}),
        ("tag=anime", {"neon"}),
        ("tag=anime&tag=glow", set()),
        ("commercial_use=Sell", {"vae"}),
        ("search=ink wash", {"ink"}),
        ("search=neonfox", {"neon"}),
        ("search=watercolor", set()),
        ("creator=neonfox", {"neon"}),
        ("nsfw=true", {"vae"}),
    ],
)
def test_filters(api_client, query, expected, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # the search index follows commits
        ink = ModelFactory(name="Ink Wash", type="Checkpoint", tags=["style"])
        ModelVersionFactory(model=ink, base_model="SD 1.5")
        neon = ModelFactory(name="Neon", type="LORA", tags=["anime"], creator__username="neonfox")
        ModelVersionFactory(model=neon, base_model="Pony")
        ModelFactory(name="Vae", type="VAE", commercial_sell=True, nsfw=True)
    names = {"Ink Wash": "ink", "Neon": "neon", "Vae": "vae"}
    results = api_client.get(f"/api/models/?{query}").json()["results"]
    assert {names[r["name"]] for r in results} == expected


def test_ordering_and_pagination(api_client) -> None:
    for downloads in (5, 50, 500):
        ModelFactory(download_count=downloads)
    page = api_client.get("/api/models/?ordering=download_count&page_size=2").json()
    assert [r["download_count"] for r in page["results"]] == [5, 50]
    assert page["next"] and page["count"] == 3


def test_a_bad_filter_value_is_a_validation_problem(api_client) -> None:
    body = assert_problem(api_client.get("/api/models/?type=Malware"), 400, "invalid")
    assert "type" in body["errors"]


def test_taken_down_models_are_hidden_from_non_staff(api_client) -> None:
    hidden = ModelFactory(mode="TakenDown")
    assert api_client.get("/api/models/").json()["count"] == 0
    assert_problem(api_client.get(f"/api/models/{hidden.pk}/"), 404, "not_found")
    staff = APIClient()
    staff.force_authenticate(UserFactory(username="root", is_staff=True))
    assert staff.get(f"/api/models/{hidden.pk}/").status_code == 200


def test_files_are_found_by_any_hash(api_client) -> None:
    file = ModelFileFactory()
    for query in (f"hash={file.sha256.lower()}", f"hash={file.autov2}", f"sha256={file.sha256}"):
        results = api_client.get(f"/api/files/?{query}").json()["results"]
        assert [r["id"] for r in results] == [file.pk], query
    assert api_client.get("/api/files/?hash=0000000000").json()["count"] == 0


def test_similar_models_come_from_recommenders(api_client) -> None:
    target = ModelFactory(tags=["anime", "cel"])
    twin = ModelFactory(tags=["anime", "cel"])
    ModelFactory(tags=["landscape"], type="VAE")
    response = api_client.get(f"/api/models/{target.pk}/similar/?limit=3")
    assert response.status_code == 200
    rows = response.json()
    assert rows[0]["model"]["id"] == twin.pk and 0 < rows[0]["score"] <= 1
    assert "anime" in rows[0]["reason"]
    assert_problem(api_client.get(f"/api/models/{target.pk}/similar/?limit=0"), 400, "invalid")


def test_version_scores(api_client) -> None:
    version = ModelVersionFactory()
    refresh_version_scores(version=version)
    rows = api_client.get(f"/api/versions/{version.pk}/scores/").json()
    # A bare version (no files, votes or use): the scorers that need files (security), votes
    # (community_quality) or use (momentum) abstain; the ones reading metadata answer.
    names = {r["plugin"] for r in rows}
    assert {"license_clarity", "metadata_completeness", "availability"} <= names
    assert not names & {"security", "community_quality", "momentum"}
    assert all(r["plugin"] == r["name"] and 0 <= r["value"] <= 1 for r in rows)


def test_creators_and_tags_count_visible_models(api_client) -> None:
    ModelFactory(creator__username="ana", tags=["ink"])
    ModelFactory(creator__username="ana", tags=["ink"], mode="TakenDown")
    creators = {c["username"]: c for c in api_client.get("/api/creators/").json()["results"]}
    assert creators["ana"]["model_count"] == 1
    tags = api_client.get("/api/tags/?name=ink").json()["results"]
    assert tags == [{"id": tags[0]["id"], "name": "ink", "model_count": 1}]


def test_unknown_api_routes_are_problem_documents(api_client) -> None:
    assert_problem(api_client.get("/api/no-such-thing/"), 404, "not_found")


def test_write_methods_are_not_allowed(api_client) -> None:
    model = ModelFactory()
    assert_problem(api_client.delete(f"/api/models/{model.pk}/"), 405, "method_not_allowed")


def test_openapi_schema_and_docs_are_served(api_client, client, user) -> None:
    schema = api_client.get("/api/schema/?format=json").json()
    assert schema["openapi"].startswith("3.")
    for path in ("/api/models/", "/api/models/{id}/similar/", "/api/files/", "/api/tags/"):
        assert path in schema["paths"]
    params = {p["name"] for p in schema["paths"]["/api/models/"]["get"]["parameters"]}
    assert {"type", "base_model", "tag", "search", "commercial_use", "ordering"} <= params
    client.force_login(user)
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI assets come from this server, not a CDN: Hubgate runs offline.
    assert (
        b"cdn.jsdelivr" not in docs.content and b"/static/drf_spectacular_sidecar/" in docs.content
    )


def test_the_schema_is_valid_and_generates_without_warnings(tmp_path) -> None:
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "openapi: 3" in out.read_text()
