import pytest

from plugins.scorers.security import hubgate_score_version
from tests.plugins.scorers.versions import version


def test_a_fully_scanned_clean_version_scores_one() -> None:
    score = hubgate_score_version(version(scanned_file_count=1, finding_counts=(("info", 2),)))
    assert score.value == 1.0
    assert "no findings above info" in score.explanation


@pytest.mark.parametrize(
    ("severity", "value"), [("low", 0.85), ("medium", 0.5), ("high", 0.2), ("critical", 0.0)]
)
def test_the_worst_finding_sets_the_score(severity, value) -> None:
    snapshot = version(scanned_file_count=1, finding_counts=((severity, 1), ("info", 3)))
    score = hubgate_score_version(snapshot)
    assert score.value == value
    assert f"1 {severity}" in score.explanation


def test_quarantine_and_hub_danger_score_near_zero() -> None:
    assert hubgate_score_version(version(quarantined_file_count=1)).value == 0.0
    assert hubgate_score_version(version(hub_scan_results=("Danger",))).value == 0.1


def test_unscanned_pickle_scores_below_unscanned_safetensors() -> None:
    safe = hubgate_score_version(
        version(hub_scan_results=("Success",), file_formats=("SafeTensor",))
    )
    pickle = hubgate_score_version(
        version(hub_scan_results=("Success",), file_formats=("PickleTensor",))
    )
    assert pickle.value < safe.value < 1.0
    assert "not yet scanned by Hubgate" in safe.explanation
    assert "pickle-based" in pickle.explanation


def test_abstains_for_a_version_without_files() -> None:
    assert hubgate_score_version(version(file_count=0)) is None
