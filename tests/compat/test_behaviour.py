"""CivitAI's period, Most Images sort, /enums and rate limit, and hostile query strings."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from governance.catalog.models import Image, Model, ModelFile, ModelType, ModelVersion
from governance.compat.views import CivitaiRateThrottle

pytestmark = pytest.mark.django_db


def _items(**params) -> list[dict]:
    response = Client().get("/api/v1/models", {"nsfw": "true", **params})
    assert response.status_code == 200, response.content
    return response.json()["items"]


def test_most_images_sorts_by_the_preview_images_of_each_model(catalog) -> None:
    counts = {
        hub_id: Image.objects.filter(version__model=catalog.model(hub_id)).count()
        for hub_id in catalog.approved
    }
    items = _items(sort="Most Images")
    assert [m["id"] for m in items] and len(set(counts.values())) > 1
    listed = [counts[m["id"]] for m in items]
    assert listed == sorted(counts.values(), reverse=True)
    # Keyset paging walks the same order.
    first = Client().get("/api/v1/models", {"nsfw": "true", "sort": "Most Images", "limit": 3})
    cursor = first.json()["metadata"]["nextCursor"]
    rest = _items(sort="Most Images", cursor=cursor)
    assert [m["id"] for m in first.json()["items"] + rest] == [m["id"] for m in items]


def test_a_period_keeps_models_published_within_it(catalog) -> None:
    everything = {m["id"] for m in _items()}
    recent = catalog.approved[0]
    ModelVersion.objects.update(published_at=timezone.now() - timedelta(days=400))
    catalog.model(recent).versions.update(published_at=timezone.now() - timedelta(days=3))
    assert {m["id"] for m in _items(period="AllTime")} == everything
    assert {m["id"] for m in _items(period="Year")} == {recent}
    assert {m["id"] for m in _items(period="Week")} == {recent}
    assert _items(period="Day") == []


def test_enums_list_civitais_values_and_the_visible_base_models(catalog) -> None:
    response = Client().get("/api/v1/enums")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "ModelType",
        "ModelFileType",
        "ActiveBaseModel",
        "BaseModel",
        "BaseModelType",
    }
    assert body["ModelType"] == list(ModelType.values)
    assert body["ModelFileType"] == list(ModelFile.FileType.values)
    listed = {v["baseModel"] for m in _items() for v in m["modelVersions"]}
    assert set(body["BaseModel"]) == listed and body["BaseModel"] == body["ActiveBaseModel"]
    drafts_only = (
        set(
            ModelVersion.objects.exclude(
                model__external_id__in=[str(i) for i in catalog.approved]
            ).values_list("base_model", flat=True)
        )
        - listed
    )
    assert not drafts_only & set(body["BaseModel"])


def test_the_rate_limit_answers_429_with_retry_after_per_key(catalog, monkeypatch) -> None:
    cache.clear()
    monkeypatch.setattr(CivitaiRateThrottle, "THROTTLE_RATES", {"civitai": "2/min"})
    member = {"HTTP_AUTHORIZATION": f"Bearer {catalog.member_key}"}
    for _ in range(2):
        assert Client().get("/api/v1/tags", **member).status_code == 200
    throttled = Client().get("/api/v1/models", **member)
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert "Too many requests" in throttled.json()["error"]
    # Another key has a budget of its own; ?token= counts as the same key as the header.
    assert Client().get("/api/v1/tags", {"token": catalog.outsider_key}).status_code == 200
    assert Client().get("/api/v1/tags", {"token": catalog.member_key}).status_code == 429
    cache.clear()


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/models", {"limit": "-1"}),
        ("/api/v1/models", {"limit": "²"}),
        ("/api/v1/models", {"page": "99999999999999999999999999"}),
        ("/api/v1/models", {"page": "0"}),
        ("/api/v1/models", {"cursor": "99999999999999999999999:1"}),
        ("/api/v1/models", {"cursor": "1:²"}),
        ("/api/v1/models", {"cursor": "-:"}),
        ("/api/v1/models", {"ids": "¹"}),
        ("/api/v1/models", {"ids": "1" * 40}),
        ("/api/v1/models", {"ids": ",".join(str(i) for i in range(1, 5000))}),
        ("/api/v1/models", {"types": "\x00"}),
        ("/api/v1/models", {"tag": "anime\x00"}),
        ("/api/v1/models", {"sort": "Most Images\x00"}),
        ("/api/v1/models", {"period": "Forever"}),
        ("/api/v1/models", {"baseModels": "SDXL\x00"}),
        ("/api/v1/images", {"cursor": "1" * 30}),
        ("/api/v1/images", {"cursor": "³"}),
        ("/api/v1/images", {"limit": "201"}),
        ("/api/v1/tags", {"page": "-3"}),
        ("/api/v1/creators", {"limit": "1e3"}),
        ("/api/v1/images", {"modelVersionId": "١٢"}),
    ],
)
def test_hostile_query_strings_are_civitai_shaped_400s(db, path, params) -> None:
    response = Client().get(path, params)
    assert response.status_code == 400, response.content
    assert "error" in response.json()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/models/²",
        "/api/v1/model-versions/by-hash/ÀÀ",
        "/api/v1/model-versions/99999999999999999999999999",
    ],
)
def test_hostile_ids_in_paths_are_400s(db, path) -> None:
    assert Client().get(path).status_code == 400


def test_image_count_is_kept_on_import(catalog) -> None:
    for model in Model.objects.filter(hub="civitai"):
        assert model.image_count == Image.objects.filter(version__model=model).count()
