import pytest

from governance.hookspecs import ModelSnapshot, UserSnapshot
from plugins.recommenders import tag_overlap
from plugins.recommenders.tag_overlap import (
    hubgate_recommend_for_user,
    hubgate_recommend_similar,
    similarity,
)


def snap(id, tags, base=("SDXL 1.0",), type="LORA", downloads=0) -> ModelSnapshot:
    return ModelSnapshot(
        id=id,
        name=f"M{id}",
        type=type,
        tags=frozenset(tags),
        base_models=frozenset(base),
        creator="c",
        download_count=downloads,
    )


def test_identical_models_are_fully_similar() -> None:
    a = snap(1, {"anime", "style"})
    assert similarity(a, snap(2, {"anime", "style"}))[0] == 1.0


def test_nothing_in_common_is_zero() -> None:
    assert similarity(snap(1, {"anime"}), snap(2, {"photo"}, base=("SD 1.5",), type="VAE"))[0] == 0


def test_similar_ranks_by_overlap_and_explains() -> None:
    target = snap(1, {"anime", "style", "cel"})
    close = snap(2, {"anime", "style", "cel"})
    partial = snap(3, {"anime"}, base=("Pony",))
    unrelated = snap(4, {"landscape"}, base=("SD 1.5",), type="Checkpoint")
    recs = hubgate_recommend_similar(target, [unrelated, partial, close], limit=5)
    assert [r.model_id for r in recs] == [2, 3]
    assert "anime" in recs[0].reason and "SDXL 1.0" in recs[0].reason


def test_limit_and_ties_are_stable() -> None:
    target = snap(1, {"a"})
    candidates = [snap(i, {"a"}, downloads=i % 3) for i in range(2, 12)]
    recs = hubgate_recommend_similar(target, candidates, limit=3)
    assert [r.model_id for r in recs] == [2, 5, 8]


def test_for_user_abstains_without_history() -> None:
    user = UserSnapshot(id=1, username="u", team_ids=(), history=())
    assert hubgate_recommend_for_user(user, [snap(2, {"a"})], limit=3) is None


def test_for_user_follows_team_history() -> None:
    user = UserSnapshot(id=1, username="u", team_ids=(1,), history=(snap(1, {"anime", "cel"}),))
    other = snap(2, {"photo"}, base=("SD 1.5",), type="VAE")
    recs = hubgate_recommend_for_user(user, [other, snap(3, {"anime", "cel"})], 5)
    assert [r.model_id for r in recs] == [3]
    assert "M1" in recs[0].reason


def test_min_score_is_configurable() -> None:
    tag_overlap.hubgate_settings.apply({"min_score": 0.99})
    try:
        recs = hubgate_recommend_similar(snap(1, {"a", "b"}), [snap(2, {"a"})], limit=3)
        assert recs == []
    finally:
        tag_overlap.hubgate_settings.apply({})


@pytest.mark.parametrize("bad", [2, -0.1, "high", True])
def test_invalid_min_score_is_rejected(bad) -> None:
    with pytest.raises(ValueError, match="min_score"):
        tag_overlap.hubgate_settings.apply({"min_score": bad})
