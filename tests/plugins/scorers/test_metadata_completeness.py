import dataclasses

import pytest

from plugins.scorers.metadata_completeness import hubgate_score_version
from tests.plugins.scorers.versions import version

COMPLETE = version(
    description="<p>Sumi-e brush strokes.</p>",
    model_description="<p>" + "A carefully trained ink wash style. " * 10 + "</p>",
    trained_words=("inkwash",),
    tags=("style", "ink", "traditional"),
    image_count=3,
    images_with_meta=2,
)


def test_complete_documentation_scores_one() -> None:
    score = hubgate_score_version(COMPLETE)
    assert score.name == "metadata_completeness"
    assert score.value == 1.0
    assert score.explanation.startswith("Complete")


def test_bare_version_scores_low_and_says_what_is_missing() -> None:
    bare = dataclasses.replace(
        COMPLETE,
        model_description="",
        description="",
        tags=(),
        base_model="Other",
        trained_words=(),
        has_primary_file=False,
        hashed_file_count=0,
        image_count=0,
        images_with_meta=0,
        license_flags_set=False,
    )
    score = hubgate_score_version(bare)
    assert score.value == 0.0
    for missing in ("description", "three tags", "base model", "trigger words", "SHA256"):
        assert missing in score.explanation


@pytest.mark.parametrize(("model_type", "expected"), [("LORA", 0.9), ("Checkpoint", 1.0)])
def test_trigger_words_matter_only_for_types_that_use_them(model_type, expected) -> None:
    version = dataclasses.replace(COMPLETE, model_type=model_type, trained_words=())
    assert hubgate_score_version(version).value == pytest.approx(expected)


def test_html_does_not_count_as_words() -> None:
    padded = dataclasses.replace(
        COMPLETE, model_description="<p>" + "<br>" * 200 + "</p>", description="short"
    )
    assert "description" in hubgate_score_version(padded).explanation
