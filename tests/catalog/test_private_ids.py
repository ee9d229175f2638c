"""A private id answers exactly like a missing one, on every route that names a model or
version: the same status and the same body (the id itself aside)."""

import pytest

from governance.compat.ids import LOCAL_ID_BASE
from tests.accounts.factories import MembershipFactory
from tests.catalog.factories import ModelFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db

MISSING = 987_654


@pytest.fixture
def private_version():
    """An approved version of a model private to another team."""
    owner = MembershipFactory().team
    model = ModelFactory(visibility="team", owning_team=owner)
    version = ModelVersionFactory(model=model, state="approved")
    version.files.create(name="private.safetensors", sha256="A" * 64)
    return version


def _same(private, missing, private_id: int) -> None:
    assert private.status_code == missing.status_code
    body = private.content.decode().replace(str(private_id), str(MISSING))
    assert body == missing.content.decode()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/files/{file}/download/"),
        ("get", "/api/versions/{version}/gates/"),
        ("get", "/api/versions/{version}/scores/"),
        ("post", "/api/versions/{version}/deprecate/"),
        ("post", "/api/versions/{version}/retire/"),
        ("get", "/api/models/{model}/similar/"),
        ("get", "/api/usage/versions/{version}/users/"),
    ],
)
def test_paths_naming_a_private_object_answer_like_a_missing_one(
    api_client, private_version, method, path
) -> None:
    ids = {
        "file": private_version.files.get().pk,
        "version": private_version.pk,
        "model": private_version.model_id,
    }
    key = path[path.index("{") + 1 : path.index("}")]
    call = getattr(api_client, method)
    body = {"reason": "x"} if method == "post" else None
    private = call(path.format(**{key: ids[key]}), body, format="json")
    missing = call(path.format(**{key: MISSING}), body, format="json")
    assert private.status_code == 404
    _same(private, missing, ids[key])


@pytest.mark.parametrize("path", ["/api/requests/", "/api/waivers/", "/api/uploads/"])
def test_bodies_naming_a_private_version_answer_like_a_missing_one(
    api_client, private_version, path
) -> None:
    payload = {"filename": "x.bin", "size": 5, "team": "nope", "reason": "x"}
    private = api_client.post(path, {**payload, "version": private_version.pk}, format="json")
    missing = api_client.post(path, {**payload, "version": MISSING}, format="json")
    assert private.status_code == 404
    _same(private, missing, private_version.pk)


def test_the_compatible_download_of_a_private_version_answers_like_a_missing_one(
    client, user, private_version
) -> None:
    client.force_login(user)
    private = client.get(f"/api/download/models/{LOCAL_ID_BASE + private_version.pk}")
    missing = client.get(f"/api/download/models/{LOCAL_ID_BASE + MISSING}")
    assert private.status_code == missing.status_code == 404
    assert private.json() == missing.json() == {"error": "Model not found"}
