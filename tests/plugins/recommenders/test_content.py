import pytest

from plugins.recommenders import content
from tests.plugins.recommenders.snapshots import person, snap


@pytest.fixture(autouse=True)
def _defaults():
    content.hubgate_settings.apply({})
    yield
    content.hubgate_settings.apply({})


def test_a_shared_rare_tag_counts_more_than_a_shared_common_one() -> None:
    target = snap(1, {"claymation", "style"})
    rare = snap(2, {"claymation", "video"})
    common = snap(3, {"style", "video"})
    crowd = [snap(10 + i, {"style"}) for i in range(8)]
    recs = content.hubgate_recommend_similar(target, [rare, common, *crowd], 2)
    assert recs[0].model_id == rare.id


def test_same_base_model_beats_same_family_beats_other_architecture() -> None:
    target = snap(1, {"anime"}, base=("Pony",))
    exact = snap(2, {"anime"}, base=("Pony",))
    family = snap(3, {"anime"}, base=("SDXL 1.0",))
    other = snap(4, {"anime"}, base=("SD 1.5",))
    idf = content.tag_idf([target, exact, family, other])
    scores = [content.similarity(target, c, idf)[0] for c in (exact, family, other)]
    assert scores[0] > scores[1] > scores[2]


def test_reason_names_the_model_and_what_is_shared() -> None:
    target = snap(1, {"anime"}, base=("Pony",), trained_words=frozenset({"cel shading"}))
    other = snap(2, {"anime"}, base=("Pony",), trained_words=frozenset({"cel look"}))
    [rec] = content.hubgate_recommend_similar(target, [other], 5)
    assert rec.reason.startswith("Like M1:")
    assert "same base model (Pony)" in rec.reason
    assert "trigger words cel" in rec.reason


def test_embedding_similarity_is_used_when_both_have_one() -> None:
    target = snap(1, type="Checkpoint", base=("Other",), embedding=(1.0, 0.0))
    close = snap(2, type="VAE", base=("Other",), embedding=(0.96, 0.28))
    far = snap(3, type="VAE", base=("Other",), embedding=(0.0, 1.0))
    recs = content.hubgate_recommend_similar(target, [far, close], 5)
    assert [r.model_id for r in recs] == [close.id]
    assert "similar description" in recs[0].reason


def test_for_user_abstains_without_history_and_explains_with_it() -> None:
    assert content.hubgate_recommend_for_user(person(), [snap(2, {"a"})], 5) is None
    used = snap(1, {"anime", "cel"}, base=("Pony",))
    recs = content.hubgate_recommend_for_user(
        person(used),
        [snap(2, {"anime", "cel"}, base=("Pony",)), snap(3, {"x"}, base=("SD 1.5",))],
        5,
    )
    assert [r.model_id for r in recs] == [2]
    assert "Like M1, which your team uses" in recs[0].reason


def test_configuration_is_validated() -> None:
    with pytest.raises(
        ValueError, match="setting 'weights' must be non-negative numbers for some of"
    ):
        content.hubgate_settings.apply({"weights": {"colour": 1}})
    with pytest.raises(ValueError, match="min_score"):
        content.hubgate_settings.apply({"min_score": 2})


def test_a_missing_embedding_does_not_penalise_a_candidate() -> None:
    target = snap(1, {"anime"}, embedding=(1.0, 0.0))
    without = snap(2, {"anime"})
    unrelated = snap(3, {"anime"}, embedding=(0.0, 1.0))
    idf = content.tag_idf([target, without, unrelated])
    assert (
        content.similarity(target, without, idf)[0] == content.similarity(target, unrelated, idf)[0]
    )


def test_an_undocumented_model_never_outranks_a_documented_match() -> None:
    target = snap(1, {"anime", "cel"}, base=("Pony",))
    documented = snap(2, {"anime", "cel"}, base=("Pony",))
    bare = snap(3, base=())
    recs = content.hubgate_recommend_similar(target, [bare, documented], 5)
    assert [r.model_id for r in recs] == [documented.id]


def test_bulk_cosines_match_pairwise_similarity() -> None:
    rows = [snap(1, {"a"}, embedding=(1.0, 0.0)), snap(2, {"a"})]
    cols = [snap(3, {"a"}, embedding=(0.6, 0.8)), snap(4, {"b"}, embedding=(1.0, 2.0, 3.0))]
    cosines = content.embedding_cosines(rows, cols)
    assert cosines[0][0] == pytest.approx(0.6)
    assert cosines[0][1] is None  # other size than most embeddings
    assert cosines[1] == [None, None]  # no embedding
    idf = content.tag_idf([*rows, *cols])
    for i, a in enumerate(rows):
        for j, b in enumerate(cols):
            if cosines[i][j] is not None or not (a.embedding and b.embedding):
                assert content.similarity(a, b, idf, cosine=cosines[i][j]) == content.similarity(
                    a, b, idf
                )


def test_for_user_scores_are_computed_once_per_hook_call() -> None:
    user = person(snap(1, {"anime"}, embedding=(1.0, 0.0)))
    candidates = [snap(2, {"anime"}, embedding=(0.8, 0.6)), snap(3, {"photo"})]
    first = content.score_for_user(user, candidates)
    assert content.score_for_user(user, candidates) is first  # the hybrid asks again
    again = content.score_for_user(user, list(candidates))  # a new call: recomputed
    assert again is not first and again == first
    content.hubgate_settings.apply({"weights": {"tags": 1.0}})
    assert content.score_for_user(user, candidates) != first
