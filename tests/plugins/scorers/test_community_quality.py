import pytest

from plugins.scorers import community_quality
from tests.plugins.scorers.versions import version


@pytest.fixture(autouse=True)
def _defaults():
    community_quality.hubgate_settings.apply({})
    yield
    community_quality.hubgate_settings.apply({})


def test_three_perfect_votes_are_not_a_perfect_score() -> None:
    score = community_quality.hubgate_score_version(version(rating=5.0, rating_count=3))
    # (20 * 3.5 + 3 * 5) / 23 = 3.70 stars -> (3.70 - 1) / 4
    assert score.value == pytest.approx((85 / 23 - 1) / 4, abs=1e-4)
    assert "Bayesian average of 3 votes" in score.explanation


def test_many_votes_outweigh_the_prior() -> None:
    few = community_quality.hubgate_score_version(version(rating=4.8, rating_count=5))
    many = community_quality.hubgate_score_version(version(rating=4.8, rating_count=2000))
    assert many.value > few.value
    assert many.value == pytest.approx((4.8 - 1) / 4, abs=0.01)


def test_thumbs_and_local_reviews_are_pooled_with_hub_ratings() -> None:
    loved = version(thumbs_up_count=90, thumbs_down_count=10, local_ratings=((5, 4),))
    hated = version(thumbs_up_count=10, thumbs_down_count=90, local_ratings=((1, 4),))
    good, bad = map(community_quality.hubgate_score_version, (loved, hated))
    assert good.value > 0.75 > 0.35 > bad.value
    assert "4 Hubgate reviews averaging 5.00" in good.explanation


def test_abstains_without_votes() -> None:
    assert community_quality.hubgate_score_version(version()) is None


def test_prior_is_configurable_and_checked() -> None:
    community_quality.hubgate_settings.apply({"prior_mean": 3.0, "prior_votes": 1})
    assert (
        community_quality.hubgate_score_version(version(rating=5.0, rating_count=1)).value == 0.75
    )
    with pytest.raises(ValueError, match="prior_mean"):
        community_quality.hubgate_settings.apply({"prior_mean": 9})
    with pytest.raises(ValueError, match="prior_votes"):
        community_quality.hubgate_settings.apply({"prior_votes": 0})
