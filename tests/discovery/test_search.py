import pytest
from django.contrib.auth.models import AnonymousUser

from governance.catalog.models import Model, VersionState
from governance.discovery import selectors
from governance.discovery.selectors import SearchParams, search
from governance.discovery.services import index_models, reindex_stale, stale_model_ids
from governance.errors import ValidationFailed
from governance.hookspecs import SearchMatch, hookimpl
from governance.usage.models import UsageEvent
from tests.catalog.factories import ModelFactory, ModelVersionFactory


def names(results) -> list[str]:
    return [hit.model.name for hit in results.hits]


def lexical(query: str, **kwargs) -> SearchParams:
    return SearchParams(query=query, mode="lexical", personalize=False, **kwargs)


def test_lexical_search_matches_names_tags_trigger_words_creators_and_descriptions(user, catalog):
    assert names(search(user=user, params=lexical("anime")))[0] == "Retro Anime 90s"
    assert names(search(user=user, params=lexical("claymation style"))) == ["Claymation Motion"]
    assert names(search(user=user, params=lexical("lumenphoto"))) == ["Lumen Photoreal"]
    assert names(search(user=user, params=lexical("celpainter"))) == ["Retro Anime 90s"]
    assert names(search(user=user, params=lexical("plasticine"))) == ["Claymation Motion"]


def test_a_name_match_outranks_a_description_match(user, catalog):
    ModelFactory(name="Studio Helper", description="<p>Not anime at all, anime-free.</p>")
    index_models(Model.objects.values_list("pk", flat=True))
    assert names(search(user=user, params=lexical("anime")))[0] == "Retro Anime 90s"


def test_search_syntax_in_the_query_is_treated_as_words(user, catalog):
    for query in ['anime" OR', "NEAR(anime", "anime*", "-anime", "anime AND (", "'; DROP"]:
        search(user=user, params=lexical(query))


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"types": ("Checkpoint",)}, {"Lumen Photoreal"}),
        ({"base_models": ("SD 1.5",)}, {"Retro Anime 90s"}),
        ({"tags": ("Claymation",)}, {"Claymation Motion"}),
        ({"commercial_use": ("Sell",)}, {"Lumen Photoreal"}),
        ({"max_nsfw_level": 2}, {"Lumen Photoreal", "Retro Anime 90s"}),
        ({"states": (VersionState.APPROVED,)}, {"Lumen Photoreal", "Retro Anime 90s"}),
    ],
)
def test_filters_narrow_the_results(user, catalog, filters, expected) -> None:
    query = "anime claymation photoreal"
    assert set(names(search(user=user, params=lexical(query, **filters)))) == expected


def test_team_filter_and_browsing_without_a_query(user, catalog):
    results = search(user=user, params=SearchParams(team=catalog["team"].slug))
    assert names(results) == ["Claymation Motion"]


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        ("downloads", "Retro Anime 90s"),
        ("rating", "Retro Anime 90s"),
        ("newest", "Claymation Motion"),
    ],
)
def test_sorts(user, catalog, sort, first):
    results = search(user=user, params=lexical("anime claymation photoreal", sort=sort))
    assert names(results)[0] == first
    assert len(results.hits) == 3


def test_team_private_models_are_found_only_by_their_team(user, catalog):
    assert "Secret Photoreal Faces" not in names(search(user=user, params=lexical("photoreal")))
    assert search(user=AnonymousUser(), params=lexical("photoreal")).hits == []


def test_a_hostile_backend_cannot_reveal_what_the_user_may_not_see(user, catalog, plugin):
    class Leaky:
        @hookimpl
        def hubgate_search_models(self, request, limit):
            return [SearchMatch(pk, 99.0) for pk in Model.objects.values_list("pk", flat=True)]

    plugin(Leaky(), name="leaky")
    results = search(user=user, params=SearchParams(query="anything", mode="lexical", limit=50))
    assert "Secret Photoreal Faces" not in names(results)
    assert catalog["secret"].pk not in selectors.search_model_ids(user=user, query="photoreal")


def test_a_failing_backend_is_reported_and_the_others_still_answer(user, catalog, plugin):
    class Broken:
        @hookimpl
        def hubgate_search_models(self, request, limit):
            raise RuntimeError("engine down")

    plugin(Broken(), name="broken")
    results = search(user=user, params=lexical("anime"))
    assert names(results)[0] == "Retro Anime 90s"
    assert any("broken" in w and "engine down" in w for w in results.warnings)


def test_semantic_search_finds_a_paraphrase_sharing_no_word(user, semantic_catalog):
    results = search(user=user, params=SearchParams(query="lifelike human faces", mode="semantic"))
    assert names(results)[0] == "Lumen Photoreal"
    assert (
        search(user=user, params=lexical("lifelike human faces")).hits[0].model.name
        != "Retro Anime 90s"
    )


def test_hybrid_is_the_default_and_fuses_both_rankings(user, semantic_catalog):
    params = SearchParams(query="japanese cartoon anime", personalize=False)
    assert params.mode == "hybrid"
    top = search(user=user, params=params).hits[0]
    assert top.model.name == "Retro Anime 90s"
    assert set(top.sources) == {"lexical", "semantic"}


def test_without_the_embedding_model_lexical_search_keeps_working(
    user, semantic_catalog, settings, tmp_path
):
    settings.HUBGATE_EMBEDDING_MODEL_DIR = str(tmp_path)
    results = search(user=user, params=SearchParams(query="anime"))
    assert names(results)[0] == "Retro Anime 90s"
    assert any("Semantic search is off" in w and "model.safetensors" in w for w in results.warnings)
    assert search(user=user, params=SearchParams(query="anime", mode="semantic")).hits == []


def test_team_usage_boosts_a_model_in_the_ranking(user, catalog):
    query = "photoreal anime claymation portraits"
    before = names(search(user=user, params=SearchParams(query=query, mode="lexical")))
    last = Model.objects.get(name=before[-1])
    UsageEvent.objects.create(
        kind=UsageEvent.Kind.DOWNLOAD,
        user=user,
        team=catalog["team"],
        version=last.versions.first(),
    )
    after = search(user=user, params=SearchParams(query=query, mode="lexical"))
    assert after.hits[before.index(last.name) - 1].model == last or after.hits[0].model == last
    assert "personal" in next(h.sources for h in after.hits if h.model == last)


def test_invalid_parameters_are_refused_with_field_errors():
    with pytest.raises(ValidationFailed) as caught:
        SearchParams.from_query_dict({"q": "x", "mode": "magic", "sort": "price", "limit": "9999"})
    assert set(caught.value.errors) == {"mode", "sort", "limit"}
    with pytest.raises(ValidationFailed):
        SearchParams.from_query_dict({"type": "Nonsense"})


def test_changes_reach_the_index_after_commit(db, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        model = ModelFactory(name="Obsidian Knight Armor")
        ModelVersionFactory(model=model, trained_words=["obsidianarmor"])
    assert names(search(user=user, params=lexical("obsidianarmor"))) == ["Obsidian Knight Armor"]
    with django_capture_on_commit_callbacks(execute=True):
        model.name = "Basalt Knight Armor"
        model.save()
    assert names(search(user=user, params=lexical("basalt"))) == ["Basalt Knight Armor"]
    with django_capture_on_commit_callbacks(execute=True):
        model.delete()
    assert search(user=user, params=lexical("basalt")).hits == []


def test_bulk_writes_are_caught_up_by_the_stale_sweep(user, catalog):
    Model.objects.filter(pk=catalog["anime"].pk).update(name="Retro Manga 80s")
    assert stale_model_ids() == []  # update() bypasses auto_now: not stale yet
    from django.utils import timezone

    Model.objects.filter(pk=catalog["anime"].pk).update(updated_at=timezone.now())
    assert stale_model_ids() == [catalog["anime"].pk]
    assert reindex_stale() == 1
    assert names(search(user=user, params=lexical("manga"))) == ["Retro Manga 80s"]


def test_a_bulk_import_is_searchable_at_once(db, user):
    import json

    from governance.catalog.services import import_civitai_model
    from governance.demo.catalog import FIXTURE

    document = json.loads(FIXTURE.read_text())["items"][0]
    import_civitai_model(document=document)
    assert names(search(user=user, params=lexical("claymation")))[0] == document["name"]


def test_an_index_failure_never_fails_the_import(db, monkeypatch):
    import json

    from governance.catalog.services import import_civitai_model
    from governance.demo.catalog import FIXTURE
    from governance.discovery import services

    def broken(*args, **kwargs):
        raise RuntimeError("index down")

    monkeypatch.setattr(services, "index_models", broken)
    document = json.loads(FIXTURE.read_text())["items"][0]
    assert import_civitai_model(document=document).model.pk
    assert stale_model_ids() == [Model.objects.get().pk]


def test_an_import_hashes_its_previews_after_the_commit_not_inside_it(
    db, user, django_capture_on_commit_callbacks
):
    import json

    from governance.catalog.models import Image
    from governance.catalog.services import import_civitai_model
    from governance.demo.catalog import FIXTURE
    from governance.discovery.models import ImageHash, SearchDocument

    document = json.loads(FIXTURE.read_text())["items"][0]
    with django_capture_on_commit_callbacks() as callbacks:
        model = import_civitai_model(document=document).model
    # Inside the import's transaction: the text document only, no blurhash decoded.
    assert SearchDocument.objects.filter(pk=model.pk).exists()
    assert not ImageHash.objects.exists()
    assert callbacks
    for callback in callbacks:  # the commit: the (eager) Celery task runs
        callback()
    previews = Image.objects.filter(version__model=model).exclude(blurhash="")
    assert previews.count() > 0
    assert set(ImageHash.objects.filter(model=model).values_list("image_id", flat=True)) == set(
        previews.values_list("pk", flat=True)
    )
    assert names(search(user=user, params=lexical("claymation")))[0] == document["name"]
