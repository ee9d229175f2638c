"""Who sees what through the CivitAI-compatible API, and how callers authenticate."""

import pytest
from django.test import Client

from governance.accounts.services import create_api_key, revoke_api_key
from governance.compat.ids import LOCAL_ID_BASE
from governance.lifecycle import services as lifecycle
from tests.approvals.conftest import safetensors
from tests.compat.catalog import make_private
from tests.connectors.hub import approve_for

pytestmark = pytest.mark.django_db

DRAFT_ONLY = 617295  # imported, never approved


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [m["id"] for m in response.json()["items"]]


def test_anonymous_callers_read_the_company_catalog_when_the_setting_allows(
    catalog, settings
) -> None:
    settings.HUBGATE_COMPAT_ANONYMOUS_READ = True
    listed = _ids(Client().get("/api/v1/models", {"nsfw": "true"}))
    assert sorted(listed) == sorted(catalog.approved)
    assert DRAFT_ONLY not in listed
    assert Client().get(f"/api/v1/models/{DRAFT_ONLY}").json() == {
        "error": f"No model with id {DRAFT_ONLY}"
    }


def test_with_the_setting_off_a_key_is_needed(catalog, settings) -> None:
    settings.HUBGATE_COMPAT_ANONYMOUS_READ = False
    for path in (
        "/api/v1/models",
        f"/api/v1/models/{catalog.approved[0]}",
        "/api/v1/tags",
        "/api/v1/creators",
        "/api/v1/images",
        "/api/v1/model-versions/1",
    ):
        response = Client().get(path)
        assert response.status_code == 401, path
        assert response.json() == {"error": "Unauthorized"}
        assert response["WWW-Authenticate"].startswith("Bearer")
    by_header = Client(HTTP_AUTHORIZATION=f"Bearer {catalog.member_key}")
    assert sorted(_ids(by_header.get("/api/v1/models", {"nsfw": "true"}))) == sorted(
        catalog.approved
    )
    by_token = Client().get("/api/v1/models", {"token": catalog.member_key, "nsfw": "true"})
    assert sorted(_ids(by_token)) == sorted(catalog.approved)


def test_without_the_company_catalog_a_team_sees_only_what_it_may_use(catalog, settings) -> None:
    settings.HUBGATE_COMPAT_ANONYMOUS_READ = False
    outsider = Client(HTTP_AUTHORIZATION=f"Bearer {catalog.outsider_key}")
    assert _ids(outsider.get("/api/v1/models", {"nsfw": "true"})) == []
    one = catalog.approved[0]
    approve_for(catalog.outsider.teams.get(), catalog.version(DRAFT_ONLY))
    assert _ids(outsider.get("/api/v1/models", {"nsfw": "true"})) == [DRAFT_ONLY]
    assert outsider.get(f"/api/v1/models/{one}").status_code == 404


def test_staff_see_every_approved_version(catalog, settings) -> None:
    settings.HUBGATE_COMPAT_ANONYMOUS_READ = False
    staff = Client()
    staff.force_login(catalog.staff)  # a signed-in session works like a key
    approve_for(None, catalog.version(DRAFT_ONLY))
    assert sorted(_ids(staff.get("/api/v1/models", {"nsfw": "true"}))) == sorted(
        [*catalog.approved, DRAFT_ONLY]
    )


def test_only_approved_and_deprecated_versions_are_served(catalog) -> None:
    model_id = catalog.approved[0]
    model = catalog.model(model_id)
    newest, middle, oldest = model.versions.order_by("index")
    lifecycle.retire_version(version=oldest)
    lifecycle.deprecate_version(version=middle, actor=catalog.staff, reason="v2 is better")
    lifecycle.regate_version(version=newest, reason="a waiver expired")
    served = Client().get(f"/api/v1/models/{model_id}").json()
    assert [v["id"] for v in served["modelVersions"]] == [int(middle.external_id)]
    assert Client().get(f"/api/v1/model-versions/{oldest.external_id}").status_code == 404
    assert Client().get(f"/api/v1/model-versions/{newest.external_id}").status_code == 404


def test_a_version_with_a_quarantined_file_is_never_served(
    catalog, django_capture_on_commit_callbacks
) -> None:
    from governance.ingest.models import Blob
    from governance.ingest.services import attach_blob, ingest_chunks
    from governance.scanning.models import FileScan, Verdict

    version = catalog.version(catalog.approved[0])
    with django_capture_on_commit_callbacks(execute=True):
        blob = ingest_chunks([safetensors()])
    attach_blob(version=version, blob=blob, name="extra.safetensors")
    FileScan.objects.filter(pk=Blob.objects.get().current_scan_id).update(
        verdict=Verdict.QUARANTINED
    )
    assert Client().get(f"/api/v1/model-versions/{version.external_id}").status_code == 404


def test_taken_down_and_team_private_models(catalog) -> None:
    taken_down, private = catalog.approved[0], catalog.approved[1]
    type(catalog.model(taken_down)).objects.filter(pk=catalog.model(taken_down).pk).update(
        mode="TakenDown"
    )
    make_private(catalog.model(private))
    anonymous = _ids(Client().get("/api/v1/models", {"nsfw": "true"}))
    assert taken_down not in anonymous and private not in anonymous
    member = Client(HTTP_AUTHORIZATION=f"Bearer {catalog.member_key}")
    listed = _ids(member.get("/api/v1/models", {"nsfw": "true"}))
    assert private in listed  # the studio may use it
    assert taken_down not in listed


def test_bad_keys_are_refused_in_civitais_shape(catalog) -> None:
    bad = Client(HTTP_AUTHORIZATION="Bearer hg_nope_nope").get("/api/v1/models")
    assert bad.status_code == 401 and bad.json()["error"].startswith("Unauthorized")
    key, raw = create_api_key(user=catalog.member, name="ci", scopes=["ci"])
    no_read = Client().get("/api/v1/models", {"token": raw})
    assert no_read.status_code == 403 and no_read.json() == {
        "error": "This API key lacks the read scope"
    }
    revoke_api_key(key=key, actor=catalog.member)
    assert Client().get("/api/v1/models", {"token": raw}).status_code == 401


def test_records_without_a_hub_id_are_served_above_2_to_the_31(catalog, stored_upload) -> None:
    version = stored_upload
    approve_for(catalog.team, version)
    body = Client().get("/api/v1/models", {"nsfw": "true", "sort": "Newest"}).json()
    served = body["items"][0]
    assert served["id"] == LOCAL_ID_BASE + version.model.pk
    assert served["modelVersions"][0]["id"] == LOCAL_ID_BASE + version.pk
    file = served["modelVersions"][0]["files"][0]
    assert file["id"] >= LOCAL_ID_BASE
    detail = Client().get(f"/api/v1/model-versions/{LOCAL_ID_BASE + version.pk}").json()
    assert detail["air"].endswith(
        f":hubgate:{LOCAL_ID_BASE + version.model.pk}@{LOCAL_ID_BASE + version.pk}"
    )
    by_hash = Client().get(f"/api/v1/model-versions/by-hash/{file['hashes']['SHA256']}")
    assert by_hash.json()["id"] == LOCAL_ID_BASE + version.pk


@pytest.fixture
def stored_upload(db, django_capture_on_commit_callbacks):
    from governance.catalog.models import Hub, Model, ModelVersion
    from governance.ingest.services import attach_blob, ingest_chunks

    model = Model.objects.create(name="In-house Palette", type="LORA", hub=Hub.UPLOAD)
    version = ModelVersion.objects.create(
        model=model, name="v1", base_model="SDXL 1.0", hub=Hub.UPLOAD
    )
    with django_capture_on_commit_callbacks(execute=True):
        attach_blob(version=version, blob=ingest_chunks([safetensors(b"x")]), name="p.safetensors")
    return version
