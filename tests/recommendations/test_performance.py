"""Per-request work of the recommendation selectors: cached snapshots, bounded queries."""

import pytest
from django.test import override_settings

from governance.recommendations import selectors
from tests.accounts.factories import MembershipFactory
from tests.catalog.factories import ModelVersionFactory
from tests.recommendations.conftest import use

pytestmark = pytest.mark.django_db

CACHED = override_settings(HUBGATE_RECS_SNAPSHOT_SECONDS=60)


@pytest.fixture(autouse=True)
def _fresh_cache():
    selectors.clear_snapshot_cache()
    yield
    selectors.clear_snapshot_cache()


def _more_models(n):
    for i in range(n):
        ModelVersionFactory(
            model__name=f"Extra {i}", model__type="LORA", model__tags=["anime"], base_model="Pony"
        )


def _count_queries(call):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()  # warm the cache
    with CaptureQueriesContext(connection) as captured:
        call()
    import os

    if os.environ.get("SHOWQ"):
        for q in captured.captured_queries:
            print("  Q", q["sql"][:160])
    return len(captured.captured_queries)


@CACHED
@pytest.mark.parametrize("which", ["for you", "similar", "compatible"])
def test_queries_per_request_do_not_grow_with_the_catalog(which, catalog, user, member) -> None:
    use(user, catalog["checkpoint"], team=member)
    use(MembershipFactory(team=member).user, catalog["pony_lora"], team=member)
    calls = {
        "for you": lambda: selectors.recommended_for_user(user=user, limit=10),
        "similar": lambda: selectors.similar_models(model=catalog["pony_lora"], user=user),
        "compatible": lambda: selectors.compatible_models(
            checkpoint=catalog["checkpoint"], user=user
        ),
    }
    small = _count_queries(calls[which])
    _more_models(15)
    large = _count_queries(calls[which])
    assert small == large
    # visible ids 1 + cache stamp 2 + the answer's catalog details 5; for you also the
    # user's teams, memberships, interactions (usage + community: 6) and team-owned models 1
    assert large <= {"for you": 17, "similar": 8, "compatible": 8}[which]


@CACHED
def test_warm_requests_do_not_rebuild_snapshots(catalog, user, monkeypatch) -> None:
    selectors.similar_models(model=catalog["pony_lora"], user=user)
    built = []
    original = selectors.model_snapshots
    monkeypatch.setattr(selectors, "model_snapshots", lambda qs: built.append(1) or original(qs))
    selectors.similar_models(model=catalog["pony_lora"], user=user)
    selectors.compatible_models(checkpoint=catalog["checkpoint"], user=user)
    assert built == []


@CACHED
def test_saving_a_model_or_adding_one_refreshes_the_cache(catalog, user) -> None:
    assert selectors.snapshots_of([catalog["sdxl_lora"].pk])[catalog["sdxl_lora"].pk].name == (
        "Film Grain"
    )
    catalog["sdxl_lora"].name = "Film Grain XL"
    catalog["sdxl_lora"].save()
    assert selectors.snapshots_of([catalog["sdxl_lora"].pk])[catalog["sdxl_lora"].pk].name == (
        "Film Grain XL"
    )
    new = ModelVersionFactory(model__name="Brand New").model
    assert selectors.snapshots_of([new.pk])[new.pk].name == "Brand New"


@override_settings(HUBGATE_RECS_SNAPSHOT_SECONDS=5)
def test_cache_expires(catalog, user, monkeypatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(selectors.time, "monotonic", lambda: clock[0])
    selectors.snapshots_of([catalog["checkpoint"].pk])
    built = []
    original = selectors.model_snapshots
    monkeypatch.setattr(selectors, "model_snapshots", lambda qs: built.append(1) or original(qs))
    selectors.snapshots_of([catalog["checkpoint"].pk])
    assert built == []
    clock[0] += 6
    selectors.snapshots_of([catalog["checkpoint"].pk])
    assert built == [1]


@CACHED
def test_the_cache_never_leaks_what_a_user_may_not_see(catalog, user) -> None:
    from governance.accounts.models import Team
    from tests.accounts.factories import UserFactory

    insider = UserFactory(username="insider")
    MembershipFactory(user=insider, team=Team.objects.get(slug="other"))
    seen_by_insider = selectors.similar_models(model=catalog["pony_lora"], user=insider, limit=10)
    assert catalog["private"].pk in {m.pk for m, _ in seen_by_insider}  # now cached
    for call in (
        lambda: selectors.similar_models(model=catalog["pony_lora"], user=user, limit=10),
        lambda: selectors.recommended_for_user(user=user, limit=10),
        lambda: selectors.compatible_models(checkpoint=catalog["checkpoint"], user=user),
    ):
        assert catalog["private"].pk not in {m.pk for m, _ in call()}
