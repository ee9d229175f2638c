from plugins.recommenders import trending
from tests.plugins.recommenders.snapshots import person, snap


def test_for_user_prefers_trending_models_of_the_teams_architectures() -> None:
    used = snap(1, base=("Pony",))
    same_family = snap(2, base=("SDXL 1.0",), trend=0.6)
    hotter_elsewhere = snap(3, base=("SD 1.5",), trend=0.9)
    cold = snap(4, trend=0.0)
    recs = trending.hubgate_recommend_for_user(
        person(used), [cold, hotter_elsewhere, same_family], 5
    )
    assert [r.model_id for r in recs] == [2, 3]
    assert recs[0].reason == "Trending in your company, for an architecture your team uses"


def test_abstains_when_nothing_trends() -> None:
    assert trending.hubgate_recommend_for_user(person(), [snap(1)], 5) is None
    assert trending.hubgate_recommend_similar(snap(1), [snap(2)], 5) is None


def test_similar_lists_trending_models_of_the_same_architecture() -> None:
    recs = trending.hubgate_recommend_similar(
        snap(1, base=("Flux.1 D",)), [snap(2, base=("Flux.1 S",), trend=0.5), snap(3, trend=1.0)], 5
    )
    assert [r.model_id for r in recs] == [2]
    assert "flux1" in recs[0].reason
