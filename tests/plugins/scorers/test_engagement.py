import math

import pytest

from plugins.scorers import engagement
from tests.plugins.scorers.versions import version


@pytest.fixture(autouse=True)
def _defaults():
    engagement.hubgate_settings.apply({})
    yield
    engagement.hubgate_settings.apply({})


def test_kept_models_outscore_tried_ones() -> None:
    kept = engagement.hubgate_score_version(
        version(model_download_count=50_000, model_favorite_count=4_000)
    )
    tried = engagement.hubgate_score_version(
        version(model_download_count=50_000, model_favorite_count=400)
    )
    assert kept.value > 0.7 > 0.4 > tried.value
    assert "favorites per 1,000 downloads" in kept.explanation


def test_few_downloads_are_pulled_to_the_prior() -> None:
    # 10 favorites of 40 downloads is 250 per 1,000 raw; smoothed it is close to the prior
    score = engagement.hubgate_score_version(
        version(model_download_count=40, model_favorite_count=10)
    )
    assert engagement.smoothed_rate(10, 40) == pytest.approx((10 + 60) / 2040)
    assert score.value == pytest.approx(math.log(70 / 2040 / 0.005) / math.log(30), abs=1e-4)
    assert score.value < 0.6  # raw, 250 per 1,000 would be full marks


def test_hubgate_favorites_and_uses_are_pooled() -> None:
    hub_only = version(model_download_count=1_000, model_favorite_count=20)
    with_local = version(
        model_download_count=1_000,
        model_favorite_count=20,
        local_favorite_count=30,
        recent_usage_count=40,
    )
    a, b = map(engagement.hubgate_score_version, (hub_only, with_local))
    assert b.value > a.value
    assert "30 Hubgate favorites per 40 recent uses" in b.explanation


def test_abstains_without_downloads_or_favorites() -> None:
    assert engagement.hubgate_score_version(version()) is None


def test_prior_is_configurable_and_checked() -> None:
    engagement.hubgate_settings.apply({"prior_downloads": 1})
    assert engagement.smoothed_rate(10, 40) == pytest.approx((10 + 0.03) / 41)
    with pytest.raises(ValueError, match="prior_rate"):
        engagement.hubgate_settings.apply({"prior_rate": 1.5})
    with pytest.raises(ValueError, match="prior_downloads"):
        engagement.hubgate_settings.apply({"prior_downloads": 0})
    with pytest.raises(ValueError, match="must be a number"):
        engagement.hubgate_settings.apply({"prior_rate": "high"})
