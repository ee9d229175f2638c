import pytest

from plugins.scorers import availability
from tests.plugins.scorers.versions import version


@pytest.mark.parametrize(
    ("mode", "state", "value"),
    [
        ("", "Public", 1.0),
        ("Archived", "Public", 0.25),
        ("TakenDown", "Public", 0.0),
        ("", "EarlyAccess", 0.7),
        ("Archived", "EarlyAccess", 0.25),
    ],
)
def test_value_by_hub_state(mode, state, value) -> None:
    score = availability.hubgate_score_version(version(model_mode=mode, availability=state))
    assert score.value == value


def test_explains_why() -> None:
    score = availability.hubgate_score_version(version(model_mode="Archived"))
    assert score.explanation == "Its creator archived the model: no updates or support."
