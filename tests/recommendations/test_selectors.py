import pytest

from governance.recommendations import selectors
from governance.recommendations.services import refresh_item_similarity
from governance.usage.services import aggregate_daily_usage
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.recommendations.conftest import use

pytestmark = pytest.mark.django_db


def test_similar_models_never_include_what_the_user_may_not_see(catalog, user) -> None:
    recs = selectors.similar_models(model=catalog["pony_lora"], user=user, limit=10)
    ids = [m.pk for m, _ in recs]
    assert catalog["private"].pk not in ids
    assert catalog["checkpoint"].pk in ids
    assert all(r.reason for _, r in recs)


def test_cold_start_recommends_popular_models(catalog, user) -> None:
    recs = selectors.recommended_for_user(user=user, limit=3)
    assert recs, "someone with no history still gets recommendations"
    assert recs[0][0].pk == catalog["checkpoint"].pk  # the most downloaded
    assert "Popular in your company" in recs[0][1].reason


def test_for_user_learns_from_co_use_and_explains_it(catalog, user, member) -> None:
    for n in range(4):
        other = UserFactory(username=f"peer{n}")
        use(other, catalog["checkpoint"])
        use(other, catalog["sdxl_lora"])
    refresh_item_similarity()
    use(user, catalog["checkpoint"], team=member)
    recs = dict((m.pk, r) for m, r in selectors.recommended_for_user(user=user, limit=5))
    assert catalog["checkpoint"].pk not in recs  # already used
    assert (
        "Teams like yours use this together with Pony Diffusion"
        in recs[catalog["sdxl_lora"].pk].reason
    )


def test_teammates_use_counts_at_half_weight(catalog, user, member) -> None:
    teammate = MembershipFactory(team=member).user
    use(user, catalog["checkpoint"], team=member)
    use(teammate, catalog["sdxl_lora"], team=member)
    snapshot = selectors.user_snapshot(user, selectors.visible_models(user))
    weights = dict(snapshot.weights)
    assert weights[catalog["checkpoint"].pk] == 1.0
    assert weights[catalog["sdxl_lora"].pk] == 0.5
    assert snapshot.history[0].id == catalog["checkpoint"].pk


def test_compatible_models_lists_only_fitting_visible_addons(catalog, user) -> None:
    recs = selectors.compatible_models(checkpoint=catalog["checkpoint"], user=user, limit=10)
    by_id = {m.pk: r for m, r in recs}
    assert set(by_id) == {catalog["pony_lora"].pk, catalog["sdxl_lora"].pk, catalog["upscaler"].pk}
    assert by_id[catalog["pony_lora"].pk].reason.startswith("Both are built on Pony.")
    assert "share the sdxl architecture" in by_id[catalog["sdxl_lora"].pk].reason
    only_loras = selectors.compatible_models(
        checkpoint=catalog["checkpoint"], user=user, types=["LORA"]
    )
    assert catalog["upscaler"].pk not in {m.pk for m, _ in only_loras}


def test_model_snapshots_carry_families_neighbors_and_quality(catalog) -> None:
    from governance.catalog.models import Model

    [snap] = selectors.model_snapshots(Model.objects.filter(pk=catalog["pony_lora"].pk))
    assert snap.base_model_families == frozenset({"sdxl"})
    assert snap.neighbors == ()
    assert snap.quality is None or 0 <= snap.quality <= 1


def test_visible_model_is_not_found_for_a_private_model(catalog, user) -> None:
    # catalog.selectors.visible_model: the one "visible or 404" lookup every API uses.
    from governance.catalog.selectors import visible_model
    from governance.errors import NotFound

    with pytest.raises(NotFound):
        visible_model(user, catalog["private"].pk)
    assert visible_model(user, catalog["checkpoint"].pk)


@pytest.mark.usefixtures("quiet_clock")  # the uses and today's counters on one day
def test_trending_models_follow_recent_use_among_visible_models(catalog, user) -> None:
    for n in range(3):
        use(UserFactory(username=f"fan{n}"), catalog["sdxl_lora"])
    use(UserFactory(username="one"), catalog["upscaler"])
    for n in range(5):
        use(UserFactory(username=f"insider{n}"), catalog["private"])
    aggregate_daily_usage()  # the beat task that feeds the community app's trend math
    recs = selectors.trending_models(user=user, limit=5)
    assert [m.pk for m, _ in recs] == [catalog["sdxl_lora"].pk, catalog["upscaler"].pk]
    assert recs[0][1].score == 1.0
    assert recs[0][1].reason == "Trending in your company"


def test_stored_text_embeddings_reach_the_content_recommender(catalog, user) -> None:
    import numpy as np

    from governance.catalog.models import Model
    from governance.discovery.models import ModelEmbedding

    for key, vector in (("pony_lora", [1.0, 0.0]), ("sdxl_lora", [0.6, 0.8])):
        ModelEmbedding.objects.update_or_create(
            model=catalog[key],
            defaults={
                "encoder": "test",
                "text_sha256": "0" * 64,
                "vector": np.array(vector, dtype=np.float32).tobytes(),
            },
        )
    snaps = {s.id: s for s in selectors.model_snapshots(Model.objects.all())}
    assert snaps[catalog["pony_lora"].pk].embedding == (1.0, 0.0)
    assert snaps[catalog["sdxl_lora"].pk].embedding == pytest.approx((0.6, 0.8))
    assert snaps[catalog["upscaler"].pk].embedding == ()
