import pytest

from plugins.scorers import documentation_depth, preview_coverage
from tests.plugins.scorers.versions import version


def test_rich_documentation_scores_full() -> None:
    score = documentation_depth.hubgate_score_version(
        version(image_count=6, images_with_meta=6, model_description="<p>" + "word " * 200)
    )
    assert score.value == pytest.approx(1.0)
    assert "6 of 6 preview(s) with generation parameters" in score.explanation


def test_short_text_without_parameters_scores_low() -> None:
    score = documentation_depth.hubgate_score_version(version(description="two words"))
    assert score.value == pytest.approx(0.6 * 2 / 150, abs=1e-4)


def test_markup_is_not_counted_as_words() -> None:
    score = documentation_depth.hubgate_score_version(
        version(image_count=0, description="<b>one</b> <i>two</i> &amp;")
    )
    assert "3 words of description" in score.explanation


def test_more_previews_score_higher_until_four() -> None:
    values = [
        preview_coverage.hubgate_score_version(version(image_count=n)).value
        for n in (0, 1, 2, 4, 8)
    ]
    assert values == [0.0, 0.25, 0.5, 1.0, 1.0]
