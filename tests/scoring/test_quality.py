import pytest
from django.test import override_settings
from django.utils import timezone

from governance.catalog.models import VersionScore
from governance.scoring.quality import (
    DEFAULT_POWER,
    DEFAULT_WEIGHTS,
    combine,
    composite_quality,
    composite_quality_for_models,
    composite_quality_for_versions,
)
from governance.scoring.services import refresh_version_scores
from tests.catalog.factories import ModelFileFactory, ModelVersionFactory

MEAN = {"community_quality": 0.30, "metadata_completeness": 0.20, "security": 0.25}


def test_composite_is_the_weighted_mean_of_available_scores() -> None:
    rows = [("a", "community_quality", 1.0, ""), ("b", "metadata_completeness", 0.5, "")]
    q = combine(1, rows, weights=MEAN, power=1.0)
    assert q.value == pytest.approx((0.30 * 1.0 + 0.20 * 0.5) / 0.5)
    assert q.explanation.startswith("Quality 80% (community 100%, documentation 50%)")


def test_default_composite_is_a_weighted_power_mean_below_harmonic() -> None:
    rows = [("e", "engagement", 0.9, ""), ("a", "availability", 0.25, "archived")]
    q = combine(1, rows)
    assert DEFAULT_POWER == -2.0
    w_e, w_a = DEFAULT_WEIGHTS["engagement"], DEFAULT_WEIGHTS["availability"]
    expected = ((w_e * 0.9**-2 + w_a * 0.25**-2) / (w_e + w_a)) ** -0.5
    assert q.value == pytest.approx(expected, abs=1e-4)
    # one weak part drags it below the harmonic mean, and that below the arithmetic one
    assert q.value < combine(1, rows, power=-1.0).value < combine(1, rows, power=1.0).value
    assert "Weakest — availability: archived" in q.explanation


def test_geometric_mean_floors_zero() -> None:
    q = combine(1, [("a", "x", 0.0, ""), ("b", "y", 1.0, "")], weights={"default": 1}, power=0)
    assert q.value == pytest.approx(0.1)  # sqrt(0.01 * 1.0)


def test_zero_weight_scores_are_context_not_value() -> None:
    rows = [("c", "community_quality", 0.1, ""), ("e", "engagement", 0.8, "")]
    q = combine(1, rows, weights={"community_quality": 0.0, "engagement": 1.0})
    assert q.value == 0.8
    assert [p.name for p in q.context] == ["community_quality"]
    assert "for context: community 10%" in q.explanation
    assert q.as_dict()["context"][0]["weight"] == 0.0


def test_a_failed_scorer_is_named_not_guessed() -> None:
    q = combine(
        1, [("momentum", "", None, ""), ("x", "metadata_completeness", 0.9, "")], weights=MEAN
    )
    assert q.value == 0.9
    assert q.missing == ("momentum",)
    assert "not scored: momentum" in q.explanation


def test_bad_security_caps_the_composite() -> None:
    q = combine(
        1,
        [
            ("s", "security", 0.1, "The hub's scan flagged a file as dangerous."),
            ("c", "community_quality", 1.0, ""),
            ("m", "metadata_completeness", 1.0, ""),
        ],
        weights=MEAN,
        power=1.0,
    )
    assert q.value == 0.1
    assert "capped by its security score" in q.explanation
    assert "Weakest — security: The hub's scan flagged" in q.explanation


def test_nothing_scored_has_no_value() -> None:
    assert combine(1, []).value is None
    assert combine(1, []).explanation == "Not scored yet."
    only_context = combine(1, [("c", "x", 0.5, "")], weights={"default": 0})
    assert only_context.value is None
    assert only_context.explanation == "No weighted metric scored yet."


@override_settings(HUBGATE_QUALITY_WEIGHTS={"metadata_completeness": 0, "default": 1})
def test_weights_come_from_settings() -> None:
    q = combine(1, [("a", "metadata_completeness", 0.0, ""), ("b", "my_metric", 0.6, "")])
    assert q.value == 0.6
    assert [p.name for p in q.parts] == ["my_metric"]


@override_settings(HUBGATE_QUALITY_POWER=1.0)
def test_power_comes_from_settings() -> None:
    q = combine(1, [("a", "x", 0.2, ""), ("b", "y", 1.0, "")], weights={"default": 1})
    assert q.value == pytest.approx(0.6)


@pytest.mark.django_db
def test_composite_of_stored_scores_after_the_refresh_path() -> None:
    version = ModelVersionFactory(
        rating=4.9,
        rating_count=500,
        model__type="Checkpoint",
        model__download_count=10_000,
        model__favorite_count=600,
    )
    ModelFileFactory(version=version, sha256="a" * 64, pickle_scan_result="Success")
    refresh_version_scores(version=version)
    q = composite_quality(version)
    names = {p.name for p in q.parts}
    assert {"engagement", "security", "availability", "metadata_completeness"} <= names
    assert {"documentation_depth", "community_quality"} <= {p.name for p in q.context}
    assert 0 < q.value <= 1
    assert composite_quality_for_models([version.model_id])[version.model_id] == q


@pytest.mark.django_db
def test_bulk_composite_is_one_query(django_assert_num_queries) -> None:
    versions = ModelVersionFactory.create_batch(5)
    now = timezone.now()
    VersionScore.objects.bulk_create(
        VersionScore(version=v, plugin="p", name="engagement", value=0.5, computed_at=now)
        for v in versions
    )
    with django_assert_num_queries(1):
        result = composite_quality_for_versions([v.pk for v in versions])
    assert {q.value for q in result.values()} == {0.5}


@pytest.mark.django_db
def test_scoring_snapshot_carries_engagement_availability_and_rights() -> None:
    from governance.scoring.selectors import scoring_snapshot
    from tests.community.factories import FavoriteFactory

    version = ModelVersionFactory(
        availability="EarlyAccess",
        model__download_count=2_000,
        model__favorite_count=90,
        model__mode="Archived",
        model__commercial_image=True,
        model__commercial_sell=True,
    )
    FavoriteFactory.create_batch(2, model=version.model)
    snap = scoring_snapshot(version)
    assert (snap.model_download_count, snap.model_favorite_count) == (2_000, 90)
    assert snap.local_favorite_count == 2
    assert (snap.model_mode, snap.availability) == ("Archived", "EarlyAccess")
    assert snap.commercial_uses == ("Image", "Sell")
