"""A page of hub documents is written in bulk: a few queries per table, the same outcome as
importing the documents one at a time."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import get_perms

from governance.catalog.models import Image, Model, ModelFile, ModelVersion, Tag, VersionScore
from governance.catalog.services import (
    import_civitai_model,
    import_civitai_models,
)
from governance.scoring.services import refresh_scores
from tests.accounts.factories import TeamFactory
from tests.catalog.documents import civitai_document
from tests.catalog.test_services import snapshot

pytestmark = pytest.mark.django_db


def page(count: int, *, start: int = 0) -> list[dict]:
    """``count`` documents with distinct model, version, file and image ids."""
    documents = []
    for n in range(start, start + count):
        document = civitai_document(id=10_000 + n, name=f"Model {n}")
        document["creator"]["username"] = f"creator-{n % 3}"
        document["tags"] = ["shared", f"tag-{n}"]
        for v, version in enumerate(document["modelVersions"]):
            version["id"] = 1_000_000 + n * 10 + v
            for f, file in enumerate(version["files"]):
                file["id"] = 2_000_000 + n * 100 + v * 10 + f
            for i, image in enumerate(version["images"]):
                image["id"] = 3_000_000 + n * 100 + v * 10 + i
        documents.append(document)
    return documents


def _catalog_queries(context: CaptureQueriesContext) -> int:
    """Queries on the catalog's tables (receivers of other apps ask their own)."""
    return sum('"catalog_' in q["sql"].split(" WHERE ")[0] for q in context.captured_queries)


def _queries(documents: list[dict]) -> int:
    with CaptureQueriesContext(connection) as queries:
        import_civitai_models(documents=documents)
    return _catalog_queries(queries)


def test_the_number_of_queries_does_not_grow_with_the_page() -> None:
    small, large = _queries(page(5)), _queries(page(50, start=100))
    # SQLite splits a large insert into batches of its parameter limit: a few more queries.
    assert large <= small + 5 and large < 25
    assert Model.objects.count() == 55 and ModelVersion.objects.count() == 110
    assert Tag.objects.filter(name="shared").get().models.count() == 55


def _rows() -> dict[str, list[str]]:
    """Every catalog row without its surrogate keys and timestamps, keyed by external ids."""
    skipped = {"id", "model_id", "version_id", "creator_id", "created_at", "updated_at"}
    rows = {}
    for cls in (Model, ModelVersion, ModelFile, Image):
        rows[cls.__name__] = sorted(
            str({k: v for k, v in row.items() if k not in skipped}) for row in cls.objects.values()
        )
    rows["links"] = sorted(
        Model.tags.through.objects.values_list("model__external_id", "tag__name")
    )
    rows["creators"] = sorted(
        Model.objects.values_list("external_id", "creator__username", "creator__image_url")
    )
    return rows


def test_a_page_writes_what_one_at_a_time_writes() -> None:
    documents = page(6)
    results = import_civitai_models(documents=documents).results
    assert [r.created for r in results] == [True] * 6
    assert [r.versions_created for r in results] == [2] * 6
    bulk = _rows()
    Model.objects.all().delete()
    Tag.objects.all().delete()
    for document in documents:
        import_civitai_model(document=document)
    assert _rows() == bulk


def test_reimporting_a_page_changes_nothing_and_updates_only_what_changed() -> None:
    documents = page(4)
    import_civitai_models(documents=documents)
    before = snapshot()
    stamp = Model.objects.get(external_id="10000").updated_at
    again = import_civitai_models(documents=documents).results
    assert snapshot() == before
    assert [(r.created, r.versions_created, r.versions_updated) for r in again] == [
        (False, 0, 2)
    ] * 4
    documents[1]["stats"]["downloadCount"] = 99
    documents[2]["tags"] = ["shared"]
    documents[3]["modelVersions"][0]["files"][0]["primary"] = False
    import_civitai_models(documents=documents)
    assert Model.objects.get(external_id="10001").download_count == 99
    assert [t.name for t in Model.objects.get(external_id="10002").tags.all()] == ["shared"]
    assert not ModelFile.objects.filter(version__model__external_id="10003", primary=True).exists()
    assert Model.objects.get(external_id="10000").updated_at == stamp
    assert Model.objects.get(external_id="10001").updated_at > stamp


def test_refused_documents_are_named_and_the_others_arrive() -> None:
    documents = page(3)
    documents[1]["type"] = "Spaceship"
    documents.insert(0, "not an object")
    written = import_civitai_models(documents=documents)
    assert [position for position, _ in written.refused] == [0, 2]
    assert "type has an unknown value" in written.refused[1][1].detail
    assert {r.model.external_id for r in written.results} == {"10000", "10002"}
    assert Model.objects.count() == 2


def test_a_model_listed_twice_on_a_page_ends_as_its_last_listing() -> None:
    (first,) = page(1)
    second = civitai_document(id=first["id"], name="Renamed")
    second["modelVersions"] = first["modelVersions"][:1]
    results = import_civitai_models(documents=[first, second]).results
    assert [r.created for r in results] == [True, False]
    assert Model.objects.get().name == "Renamed"


def test_a_changed_permission_flag_reaches_the_licensing_receiver() -> None:
    documents = page(2)
    import_civitai_models(documents=documents)
    documents[0]["allowDerivatives"] = False
    with mock.patch("governance.licensing.receivers.enqueue_reevaluation") as enqueue:
        import_civitai_models(documents=documents)
    model = Model.objects.get(external_id="10000")
    enqueue.assert_called_once()
    assert enqueue.call_args.kwargs["scope"] == {"model_ids": [model.pk]}
    assert not model.allow_derivatives


def test_the_owning_team_is_granted_its_new_model() -> None:
    team = TeamFactory()
    model = import_civitai_model(document=page(1)[0], owning_team=team).model
    assert "view_model" in get_perms(team.group, model)


def test_scores_of_many_versions_are_refreshed_in_a_few_queries() -> None:
    import_civitai_models(documents=page(3))
    with CaptureQueriesContext(connection) as few:
        refresh_scores(versions=ModelVersion.objects.filter(model__external_id="10000"))
    with CaptureQueriesContext(connection) as many:
        stored = refresh_scores(versions=ModelVersion.objects.all())

    # The scorer plugins ask their own questions per version; the catalog's part is fixed.
    assert _catalog_queries(many) == _catalog_queries(few)
    assert {s.version_id for s in stored} == set(ModelVersion.objects.values_list("pk", flat=True))
    assert VersionScore.objects.count() == len(stored)
