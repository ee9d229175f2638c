import io

import numpy as np
import pytest
from django.urls import reverse
from PIL import Image as PILImage
from rest_framework.test import APIClient

from governance.discovery import visual
from governance.discovery.services import index_models
from tests.catalog.factories import ImageFactory


def test_search_endpoint_returns_ranked_visible_models(api_client, catalog):
    response = api_client.get(reverse("api-search"), {"q": "anime", "mode": "lexical"})
    assert response.status_code == 200
    body = response.json()
    assert body["results"][0]["model"]["name"] == "Retro Anime 90s"
    assert body["results"][0]["sources"] == ["lexical"]
    assert body["total"] >= 1 and body["mode"] == "lexical"
    names = {
        r["model"]["name"]
        for r in api_client.get(reverse("api-search"), {"q": "photoreal"}).json()["results"]
    }
    assert "Secret Photoreal Faces" not in names


def test_search_endpoint_filters_and_pages(api_client, catalog):
    url = reverse("api-search")
    query = {"q": "anime claymation photoreal", "mode": "lexical", "sort": "downloads", "limit": 1}
    first = api_client.get(url, query).json()
    assert first["has_next"] and first["results"][0]["model"]["name"] == "Retro Anime 90s"
    second = api_client.get(url, {**query, "offset": 1}).json()
    assert second["results"][0]["model"]["name"] == "Lumen Photoreal"
    only = api_client.get(url, {**query, "limit": 10, "type": "Checkpoint"}).json()
    assert [r["model"]["name"] for r in only["results"]] == ["Lumen Photoreal"]


def test_bad_parameters_are_a_problem_document(api_client, db):
    response = api_client.get(reverse("api-search"), {"q": "x", "mode": "psychic", "limit": "many"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "invalid"
    assert "limit" in response.json()["errors"]


def test_anonymous_callers_are_refused(db):
    assert APIClient().get(reverse("api-search"), {"q": "anime"}).status_code in (401, 403)


def test_search_is_documented_in_the_openapi_schema():
    from drf_spectacular.generators import SchemaGenerator

    from governance.discovery.api.urls import urlpatterns

    schema = SchemaGenerator(patterns=urlpatterns).get_schema(request=None, public=True)
    operation = schema["paths"]["/search/"]["get"]
    assert {"q", "mode", "type", "sort", "commercial_use"} <= {
        p["name"] for p in operation["parameters"]
    }
    assert (
        "multipart/form-data" in schema["paths"]["/search/image/"]["post"]["requestBody"]["content"]
    )


def _png(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    PILImage.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB").resize((256, 256)).save(
        buffer, "PNG"
    )
    return buffer.getvalue()


@pytest.mark.parametrize(
    "blurhash", ["LEHV6nWB2yk8pyo0adR*.7kCMdnj", "L6PZfSi_.AyE_3t7t7R**0o#DgR4"]
)
def test_image_search_finds_the_model_whose_preview_looks_alike(api_client, catalog, blurhash):
    ImageFactory(version=catalog["anime"].versions.first(), blurhash=blurhash)
    ImageFactory(version=catalog["photo"].versions.first(), blurhash="LKO2?U%2Tw=w]~RBVZRi};RPxuwH")
    index_models([catalog["anime"].pk, catalog["photo"].pk], semantic=False)
    upload = io.BytesIO(_png(visual.blurhash_pixels(blurhash, 64, 64)))
    upload.name = "look.png"
    response = api_client.post(reverse("api-search-image"), {"image": upload}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()[0]["model"]["name"] == "Retro Anime 90s"
    assert response.json()[0]["distance"] <= 6


def test_image_search_refuses_what_is_not_an_image(api_client, db):
    upload = io.BytesIO(b"#!/bin/sh\necho not a picture\n")
    upload.name = "evil.png"
    response = api_client.post(reverse("api-search-image"), {"image": upload}, format="multipart")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_nul_characters_are_refused_not_a_server_error(api_client, db):
    response = api_client.get(reverse("api-search"), {"q": "ani\x00me", "tag": "x"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_catalog_api_search_filter_is_the_discovery_search(api_client, catalog):
    rows = api_client.get("/api/models/", {"search": "anime"}).json()["results"]
    assert [r["name"] for r in rows] == ["Retro Anime 90s"]
    # Team-private models of other teams stay out, whatever the search matched.
    rows = api_client.get("/api/models/", {"search": "secret photoreal"}).json()["results"]
    assert "Secret Photoreal Faces" not in [r["name"] for r in rows]
    response = api_client.get("/api/models/", {"search": "anime\x00"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")


def test_filters_that_match_nothing_answer_an_empty_page_not_a_503(api_client, catalog):
    # A team the caller is not in (or that does not exist) leaves no document to rank: the
    # lexical backend answered 503 "every search backend failed" (EmptyResultSet).
    query = {"q": "anime", "mode": "lexical", "team": "no-such-team", "state": "draft"}
    response = api_client.get(reverse("api-search"), query)
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []
