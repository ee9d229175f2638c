import pytest

from governance.discovery.selectors import SearchParams, search
from governance.hookspecs import SearchMatch, SearchRequest, hookimpl
from governance.plugins import call_hook
from plugins.search import fulltext, semantic


def test_hook_hubgate_search_models(plugin, user, catalog):
    seen = []

    class External:
        @hookimpl
        def hubgate_search_models(self, request, limit):
            seen.append((request, limit))
            return [SearchMatch(catalog["clay"].pk, 1.0, "external")]

    plugin(External(), name="external_engine")
    results = call_hook("hubgate_search_models", request=SearchRequest(query="anime"), limit=5)
    assert [m.model_id for r in results if r.plugin == "external_engine" for m in r.value] == [
        catalog["clay"].pk
    ]
    fused = search(user=user, params=SearchParams(query="anime", mode="lexical", personalize=False))
    # Two backends each rank one model first: fusion keeps both at the top.
    assert {h.model.name for h in fused.hits[:2]} == {"Retro Anime 90s", "Claymation Motion"}
    assert seen[-1][0].mode == "lexical"


def test_backends_answer_only_the_modes_they_serve(catalog):
    assert fulltext.hubgate_search_models(SearchRequest(query="anime", mode="semantic"), 5) is None
    assert semantic.hubgate_search_models(SearchRequest(query="anime", mode="lexical"), 5) is None
    assert fulltext.hubgate_search_models(SearchRequest(query="  ", mode="lexical"), 5) is None


def test_fulltext_applies_the_filters_itself(catalog):
    request = SearchRequest(
        query="anime photoreal claymation", mode="lexical", types=("Checkpoint",)
    )
    assert [m.model_id for m in fulltext.hubgate_search_models(request, 10)] == [
        catalog["photo"].pk
    ]


def test_query_words_never_reach_the_engine_as_syntax():
    assert fulltext.words('anime" OR NEAR(x) -y*') == ["anime", "or", "near", "x", "y"]


@pytest.mark.parametrize("config", [{"typo_threshold": 0}, {"typo_threshold": "high"}])
def test_fulltext_refuses_a_bad_configuration(config):
    with pytest.raises(ValueError):
        fulltext.hubgate_settings.apply(config)


@pytest.mark.postgres
def test_postgres_ranks_by_weighted_vectors_and_forgives_typos(user, catalog):
    found = fulltext.hubgate_search_models(SearchRequest(query="anime", mode="lexical"), 10)
    assert found[0].model_id == catalog["anime"].pk and found[0].kind == "lexical"
    typo = fulltext.hubgate_search_models(SearchRequest(query="Lumen Fotoreal", mode="lexical"), 10)
    assert catalog["photo"].pk in [m.model_id for m in typo]
    results = search(user=user, params=SearchParams(query="Retro Anme", mode="lexical"))
    assert results.hits[0].model.name == "Retro Anime 90s"
