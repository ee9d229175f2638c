import pytest

from plugins.recommenders import hybrid
from tests.plugins.recommenders.snapshots import person, snap


@pytest.fixture(autouse=True)
def _defaults():
    hybrid.hubgate_settings.apply({})
    yield
    hybrid.hubgate_settings.apply({})


def test_cold_start_recommends_what_is_popular_trending_and_good() -> None:
    popular = snap(1, interaction_count=40, quality=0.9)
    trending = snap(2, interaction_count=5, trend=1.0, quality=0.8)
    unused = snap(3, interaction_count=0, quality=0.2)
    recs = hybrid.hubgate_recommend_for_user(person(), [unused, trending, popular], 3)
    assert [r.model_id for r in recs][:2] == [1, 2]
    assert recs[0].reason == "Popular in your company"
    assert all(r.model_id != 3 or r.score < recs[1].score for r in recs)


def test_popularity_falls_back_to_hub_downloads_when_nobody_used_anything() -> None:
    pop = hybrid.popularity([snap(1, download_count=10), snap(2, download_count=10_000)])
    assert pop[2] == 1.0 and 0 < pop[1] < 1


def test_co_use_and_content_both_lift_a_candidate() -> None:
    used = snap(1, {"anime"}, base=("Pony",), neighbors=((2, 0.9),))
    both = snap(2, {"anime"}, base=("Pony",))
    content_only = snap(3, {"anime"}, base=("Pony",))
    neither = snap(4, {"photo"}, base=("SD 1.5",))
    recs = hybrid.hubgate_recommend_for_user(person(used), [neither, content_only, both], 3)
    assert [r.model_id for r in recs][:2] == [2, 3]
    assert "Teams like yours use this together with M1" in recs[0].reason


def test_similar_blends_and_stays_in_unit_interval() -> None:
    target = snap(1, {"a"}, neighbors=((2, 1.0),))
    recs = hybrid.hubgate_recommend_similar(
        target, [snap(2, {"a"}, interaction_count=3), snap(3)], 5
    )
    assert recs[0].model_id == 2
    assert all(0 <= r.score <= 1 for r in recs)


def test_blend_configuration_is_validated() -> None:
    with pytest.raises(
        ValueError, match="setting 'blend' must be non-negative numbers for some of"
    ):
        hybrid.hubgate_settings.apply({"blend": {"magic": 1}})
    with pytest.raises(ValueError, match="not all zero"):
        hybrid.hubgate_settings.apply(
            {"blend": {"collaborative": 0, "content": 0, "popularity": 0}}
        )
