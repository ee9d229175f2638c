"""CivitAI's query parameters, sorts, pagination metadata and error statuses on /api/v1/…"""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

NSFW_MODEL = 656439  # nsfwLevel 7: PG images and R ones


def _get(path: str, **params):
    response = Client().get(path, params)
    assert response.status_code == 200, response.content
    return response.json()


def _ids(**params) -> list[int]:
    return [m["id"] for m in _get("/api/v1/models", nsfw="true", **params)["items"]]


def test_cursor_pagination_walks_everything_once(catalog) -> None:
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, "nsfw": "true", **({"cursor": cursor} if cursor else {})}
        body = _get("/api/v1/models", **params)
        pages += 1
        seen += [m["id"] for m in body["items"]]
        cursor = body["metadata"].get("nextCursor")
        if not cursor:
            assert "nextPage" not in body["metadata"]
            break
        assert body["metadata"]["nextPage"].startswith("http://testserver/api/v1/models?")
        assert f"cursor={cursor.replace(':', '%3A')}" in body["metadata"]["nextPage"]
    assert pages == 3 and sorted(seen) == sorted(catalog.approved) and len(seen) == len(set(seen))


def test_page_pagination_has_civitais_metadata(catalog) -> None:
    body = _get("/api/v1/models", limit=3, page=2, nsfw="true")
    assert body["metadata"] == {
        "totalItems": 8,
        "currentPage": 2,
        "pageSize": 3,
        "totalPages": 3,
        "nextPage": "http://testserver/api/v1/models?limit=3&page=3&nsfw=true",
        "prevPage": "http://testserver/api/v1/models?limit=3&page=1&nsfw=true",
    }
    assert len(body["items"]) == 3


def test_the_token_never_appears_in_pagination_links(catalog) -> None:
    body = _get("/api/v1/models", limit=3, token=catalog.member_key)
    assert catalog.member_key not in body["metadata"]["nextPage"]


def test_sorts_follow_the_hub_statistics(catalog) -> None:
    for sort, key in [
        ("Most Downloaded", "downloadCount"),
        ("Highest Rated", "thumbsUpCount"),
        ("Most Discussed", "commentCount"),
        ("Most Collected", "favoriteCount"),
    ]:
        items = _get("/api/v1/models", sort=sort, nsfw="true")["items"]
        values = [m["stats"][key] for m in items]
        assert values == sorted(values, reverse=True), sort
    newest = [m["id"] for m in _get("/api/v1/models", sort="Newest", nsfw="true")["items"]]
    assert newest == list(reversed(catalog.approved))  # imported last, newest
    assert [m["id"] for m in _get("/api/v1/models", sort="Oldest", nsfw="true")["items"]] == (
        catalog.approved
    )


def test_filters(catalog) -> None:
    assert set(_ids(types="Checkpoint")) == {707418, 656439, 634634}
    assert set(_ids(types="Checkpoint,Controlnet")) == {707418, 656439, 634634, 690450}
    assert _ids(tag="Claymation") == [821055]
    assert set(_ids(username="tessellate")) == {707418, 690450}
    assert set(_ids(baseModels="Flux.1 S")) == {634634}
    assert set(_ids(ids="821055,634634,617295")) == {821055, 634634}
    assert 707418 not in _ids(allowCommercialUse="Sell")
    assert 707418 in _ids(allowCommercialUse="RentCivit")
    assert _ids(query="claymation") == [821055]
    assert set(_ids(allowDerivatives="false")) == set()


def test_nsfw_is_off_unless_asked_for(catalog) -> None:
    safe = _get("/api/v1/models")["items"]
    model = next(m for m in safe if m["id"] == NSFW_MODEL)  # has PG images: listed …
    levels = {i["nsfwLevel"] for v in model["modelVersions"] for i in v["images"]}
    assert levels <= {1, 2}  # … with its R images left out
    everything = _get("/api/v1/models", nsfw="true")["items"]
    model = next(m for m in everything if m["id"] == NSFW_MODEL)
    assert 4 in {i["nsfwLevel"] for v in model["modelVersions"] for i in v["images"]}


def test_primary_file_only(catalog) -> None:
    model = _get("/api/v1/models", ids="707418", primaryFileOnly="true")["items"][0]
    assert all(len(v["files"]) == 1 and v["files"][0]["primary"] for v in model["modelVersions"])


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "500"},
        {"limit": "x"},
        {"types": "Spaceship"},
        {"sort": "Best"},
        {"period": "Decade"},
        {"nsfw": "maybe"},
        {"ids": "1,a"},
        {"cursor": "garbage"},
        {"allowCommercialUse": "Everything"},
    ],
)
def test_bad_parameters_are_400_with_zod_style_issues(db, params) -> None:
    response = Client().get("/api/v1/models", params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["name"] == "ZodError" and error["issues"][0]["path"] == [next(iter(params))]


def test_query_with_page_is_refused_as_on_civitai(db) -> None:
    response = Client().get("/api/v1/models", {"query": "x", "page": "1"})
    assert response.status_code == 400
    assert "cursor-based pagination" in response.json()["error"]


def test_bad_ids_and_unknown_routes(catalog) -> None:
    assert Client().get("/api/v1/models/abc").json() == {"error": "Invalid id: abc"}
    assert Client().get("/api/v1/model-versions/1").json() == {"error": "Model not found"}
    assert Client().get("/api/v1/model-versions/by-hash/zz-top").status_code == 400
    assert Client().get("/api/v1/model-versions/by-hash/ABCDEF0123").status_code == 404
    assert Client().post("/api/v1/models").status_code == 405


def test_tags_creators_and_images(catalog) -> None:
    tags = _get("/api/v1/tags", limit=5)
    assert tags["metadata"]["pageSize"] == 5 and tags["metadata"]["totalItems"] > 5
    assert {"name", "modelCount", "link"} == set(tags["items"][0])
    style = _get("/api/v1/tags", query="claymation")["items"]
    assert style == [
        {
            "name": "claymation",
            "modelCount": 1,
            "link": "http://testserver/api/v1/models?tag=claymation",
        }
    ]
    creators = _get("/api/v1/creators", query="tessellate")["items"]
    assert creators[0]["username"] == "tessellate" and creators[0]["modelCount"] == 2
    images = _get("/api/v1/images", limit=2, modelId=821055)
    assert len(images["items"]) == 2 and images["metadata"]["nextCursor"]
    first = images["items"][0]
    assert first["username"] == "gridwalker" and first["baseModel"] == "Wan Video"
    following = _get(
        "/api/v1/images", limit=2, modelId=821055, cursor=images["metadata"]["nextCursor"]
    )
    assert {i["id"] for i in following["items"]}.isdisjoint({i["id"] for i in images["items"]})
