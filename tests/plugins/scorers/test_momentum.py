from datetime import UTC, datetime, timedelta

from plugins.scorers.momentum import hubgate_score_version
from tests.plugins.scorers.versions import version


def test_hub_velocity_alone_when_hubgate_has_no_use_recorded() -> None:
    recent = datetime.now(UTC) - timedelta(days=10)
    fast = hubgate_score_version(version(download_count=10_000, published_at=recent))
    slow = hubgate_score_version(version(download_count=100, published_at=recent))
    assert fast.value > slow.value
    assert "1,000.0 hub downloads a day" in fast.explanation


def test_growing_local_use_by_several_teams_scores_higher() -> None:
    growing = version(recent_usage_count=40, previous_usage_count=10, recent_team_count=4)
    fading = version(recent_usage_count=5, previous_usage_count=40, recent_team_count=1)
    up, down = hubgate_score_version(growing), hubgate_score_version(fading)
    assert up.value > down.value
    assert "40 uses by 4 team(s) in Hubgate in 30 days (+30" in up.explanation
    assert "(-35 on the 30 days before)" in down.explanation


def test_abstains_with_nothing_to_go_on() -> None:
    assert hubgate_score_version(version(published_at=None)) is None
