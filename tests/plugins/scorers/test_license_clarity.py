from plugins.scorers.license_clarity import hubgate_score_version
from tests.plugins.scorers.versions import version

ALLOWED = (("commercial_use", "allowed"), ("derivatives", "conditional"))


def test_fully_established_terms_are_clear_whatever_they_allow() -> None:
    score = hubgate_score_version(
        version(license_names=("Apache License 2.0",), license_permissions=ALLOWED)
    )
    assert score.value == 1.0
    assert "every right is established" in score.explanation


def test_unknowns_and_rights_needing_a_lawyer_lower_clarity() -> None:
    score = hubgate_score_version(
        version(
            license_permissions=(("commercial_use", "review"), ("hosting", "review")),
            license_unknowns=("No license is known for the base model 'Foo'.",),
        )
    )
    assert score.value == round(1 - 0.3 - 2 * 0.08, 4)
    assert "lawyer's reading for commercial_use, hosting" in score.explanation
    assert "No license is known" in score.explanation


def test_abstains_when_terms_were_not_computed() -> None:
    assert hubgate_score_version(version()) is None
