import pytest

from plugins.scorers import commercial_rights
from tests.plugins.scorers.versions import version


def test_everything_allowed_is_full_marks() -> None:
    score = commercial_rights.hubgate_score_version(
        version(commercial_uses=("Image", "RentCivit", "Rent", "Sell"))
    )
    assert score.value == pytest.approx(1.0)


def test_images_only() -> None:
    score = commercial_rights.hubgate_score_version(version(commercial_uses=("Image",)))
    assert score.value == pytest.approx(0.4)
    assert "not allowed: run it on the hub's generation service" in score.explanation


def test_no_image_sales_is_said() -> None:
    score = commercial_rights.hubgate_score_version(version(commercial_uses=("Rent",)))
    assert score.value == pytest.approx(0.2)
    assert "generated images may NOT be sold" in score.explanation


def test_nothing_allowed_is_zero() -> None:
    score = commercial_rights.hubgate_score_version(version(commercial_uses=()))
    assert score.value == 0.0


def test_abstains_when_no_flags_are_known() -> None:
    assert commercial_rights.hubgate_score_version(version(license_flags_set=False)) is None
