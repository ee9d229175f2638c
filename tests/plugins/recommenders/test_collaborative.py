from plugins.recommenders import collaborative
from tests.plugins.recommenders.snapshots import person, snap


def test_similar_follows_the_precomputed_neighbors_among_candidates_only() -> None:
    target = snap(1, neighbors=((3, 0.9), (2, 0.4), (99, 1.0)))
    recs = collaborative.hubgate_recommend_similar(target, [snap(2), snap(3)], 5)
    assert [(r.model_id, r.score) for r in recs] == [(3, 0.9), (2, 0.4)]
    assert recs[0].reason == "People who use M1 also use this"


def test_abstains_without_co_use_data() -> None:
    assert collaborative.hubgate_recommend_similar(snap(1), [snap(2)], 5) is None
    assert collaborative.hubgate_recommend_for_user(person(snap(1)), [snap(2)], 5) is None
    assert collaborative.hubgate_recommend_for_user(person(), [snap(2)], 5) is None


def test_for_user_weights_neighbors_by_feedback_and_says_teams_like_yours() -> None:
    heavy = snap(1, neighbors=((10, 0.5),))
    light = snap(2, neighbors=((11, 0.5),))
    user = person(heavy, light, weights=((1, 9.0), (2, 1.0)))
    recs = collaborative.hubgate_recommend_for_user(user, [snap(10), snap(11)], 5)
    assert [r.model_id for r in recs] == [10, 11]
    assert recs[0].reason == "Teams like yours use this together with M1"
    assert all(0 <= r.score <= 1 for r in recs)
