"""Importing CivitAI documents into the catalog: complete, idempotent, all-or-nothing."""

import re

import pytest

from governance.catalog.models import Creator, Image, Model, ModelFile, ModelVersion, Tag
from governance.catalog.services import import_civitai_model
from governance.catalog.signals import permission_flags_changed, versions_added
from governance.errors import InvalidHubPayload
from governance.hookspecs import hookimpl
from governance.scoring.services import refresh_version_scores
from tests.catalog.documents import SHA, civitai_document
from tests.catalog.factories import ModelVersionFactory

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    """Every catalog row as plain values, to compare before and after."""
    return {
        cls.__name__: sorted(map(str, cls.objects.values()))
        for cls in (Creator, Tag, Model, ModelVersion, ModelFile, Image)
    }


def test_import_keeps_everything_the_hub_published() -> None:
    result = import_civitai_model(document=civitai_document())
    model = result.model
    assert result.created and result.versions_created == 2
    assert (model.hub, model.external_id, model.type) == ("civitai", "4201", "Checkpoint")
    assert model.source_url == "https://civitai.com/models/4201"
    assert model.creator.username == "lumenlabs"
    assert sorted(t.name for t in model.tags.all()) == ["base model", "photorealistic", "portrait"]
    assert model.allow_commercial_use == ["Image", "Rent"]
    assert (model.allow_no_credit, model.allow_different_license) == (False, False)
    assert (model.download_count, model.rating, model.comment_count) == (12345, 4.8, 7)
    version = model.versions.get(external_id="130072")
    assert (version.base_model, version.index, version.download_count) == ("SDXL 1.0", 0, 9000)
    assert version.published_at.isoformat() == "2024-05-02T10:00:00+00:00"
    file = version.files.get()
    assert file.hashes == {
        "AutoV1": "0123ABCD",
        "AutoV2": SHA[:10],
        "AutoV3": "ABCDEF012345",
        "SHA256": SHA,
        "CRC32": "DEADBEEF",
        "BLAKE3": "B" * 64,
    }
    assert (file.format, file.fp, file.size_variant, file.primary) == (
        "SafeTensor",
        "fp16",
        "pruned",
        True,
    )
    assert file.pickle_scan_result == "Success"
    image = version.images.get()
    assert image.meta["prompt"] == "a lighthouse at dusk" and image.has_meta


def test_importing_the_same_document_twice_changes_nothing() -> None:
    import_civitai_model(document=civitai_document())
    before = snapshot()
    again = import_civitai_model(document=civitai_document())
    assert not again.created and again.versions_created == 0
    assert snapshot() == before


def test_reimport_updates_in_place_and_adds_new_versions() -> None:
    import_civitai_model(document=civitai_document())
    newer = civitai_document(name="Lumen Photoreal XL (renamed)", mode="Archived")
    newer["modelVersions"].insert(
        0, {"id": 140000, "name": "v3.0", "baseModel": "SDXL 1.0", "files": [], "images": []}
    )
    result = import_civitai_model(document=newer)
    assert not result.created and result.versions_created == 1 and result.versions_updated == 2
    model = Model.objects.get()
    assert (model.name, model.mode) == ("Lumen Photoreal XL (renamed)", "Archived")
    assert model.versions.count() == 3


def test_the_primary_file_can_move_to_another_file() -> None:
    document = civitai_document()
    files = document["modelVersions"][0]["files"]
    files.append({**files[0], "id": 555002, "name": "other.safetensors", "primary": False})
    import_civitai_model(document=document)
    files[0]["primary"], files[1]["primary"] = False, True
    import_civitai_model(document=document)
    assert ModelFile.objects.get(primary=True).external_id == "555002"


def _set(document: dict, path: str, value) -> dict:
    keys = path.split(".")
    target = document
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    target[int(last) if last.isdigit() else last] = value
    return document


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("id", None, "id is missing"),
        ("id", "4201", "id must be an integer"),
        ("id", True, "id must be an integer"),
        ("name", ["x"], "name must be a string"),
        ("type", "Malware", "type has an unknown value"),
        ("mode", "Deleted", "mode has an unknown value"),
        ("allowCommercialUse", ["Everything"], "allowCommercialUse"),
        ("nsfw", "no", "nsfw must be true or false"),
        ("tags", "anime", "tags must be a list"),
        ("stats.downloadCount", -5, "stats.downloadCount is out of range"),
        ("modelVersions", {"id": 1}, "modelVersions must be a list"),
        ("modelVersions.0.publishedAt", "yesterday", "modelVersions[0].publishedAt"),
        (
            "modelVersions.0.files.0.hashes.SHA256",
            "XYZ",
            "modelVersions[0].files[0].hashes.SHA256 must be 64 hexadecimal digits",
        ),
        ("modelVersions.0.images.0.url", "javascript:alert(1)", "must be an http(s) URL"),
        ("modelVersions.0.files.0", "not an object", "modelVersions[0].files[0] must be an object"),
        ("modelVersions.1.id", 130072, "the same version id twice"),
    ],
)
def test_a_malformed_document_is_refused_with_the_field_and_nothing_is_written(
    path, value, message
) -> None:
    with pytest.raises(InvalidHubPayload, match=re.escape(message)):
        import_civitai_model(document=_set(civitai_document(), path, value))
    assert Model.objects.count() == ModelVersion.objects.count() == Creator.objects.count() == 0


def test_two_primary_files_are_refused() -> None:
    document = civitai_document()
    files = document["modelVersions"][0]["files"]
    files.append({**files[0], "id": 555002})
    with pytest.raises(InvalidHubPayload, match="more than one primary file"):
        import_civitai_model(document=document)


def test_a_document_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(InvalidHubPayload, match="the document must be an object"):
        import_civitai_model(document=["not", "a", "model"])


def test_legacy_single_string_commercial_use_is_understood() -> None:
    model = import_civitai_model(document=civitai_document(allowCommercialUse="Sell")).model
    assert model.allow_commercial_use == ["Sell"]


def test_scores_are_stored_with_failures(plugin) -> None:
    class Broken:
        @hookimpl
        def hubgate_score_version(self, version):
            raise ValueError("model card unreadable")

    plugin(Broken(), name="broken_scorer")
    version = ModelVersionFactory()
    scores = {s.plugin: s for s in refresh_version_scores(version=version)}
    assert scores["broken_scorer"].value is None
    assert scores["broken_scorer"].error == "ValueError: model card unreadable"
    assert 0 <= scores["metadata_completeness"].value <= 1
    # Refreshing replaces, never duplicates.
    refresh_version_scores(version=version)
    assert version.scores.count() == len(scores)


def test_an_import_tells_which_permission_flags_and_versions_changed() -> None:
    told: list[tuple[str, object]] = []

    def flags(sender, model, fields, **kwargs):
        told.append(("flags", fields))

    def versions(sender, version_ids, **kwargs):
        told.append(("versions", len(version_ids)))

    permission_flags_changed.connect(flags, dispatch_uid="test-flags")
    versions_added.connect(versions, dispatch_uid="test-versions")
    try:
        document = civitai_document()
        import_civitai_model(document=document)
        assert told == [("versions", 2)]
        told.clear()
        import_civitai_model(document=civitai_document(allowDerivatives=False))
        assert told == [("flags", ["allow_derivatives"])]
    finally:
        permission_flags_changed.disconnect(dispatch_uid="test-flags")
        versions_added.disconnect(dispatch_uid="test-versions")
