"""Scores how completely a version is documented: what a reviewer needs to judge it."""

from __future__ import annotations

import html
import re

from governance.hookspecs import Score, VersionSnapshot, hookimpl

#: Types whose use depends on trigger words; without them the model is hard to use.
NEEDS_TRIGGER_WORDS = {"LORA", "LoCon", "DoRA", "TextualInversion", "Hypernetwork"}
_TAG = re.compile(r"<[^>]+>")


def text_length(markup: str) -> int:
    """Words in ``markup`` once its tags are stripped and entities decoded."""
    return len(html.unescape(_TAG.sub(" ", markup or "")).split())


def _checks(version: VersionSnapshot) -> list[tuple[str, float, bool]]:
    """(what, weight, present) for each piece of documentation we look for."""
    words = text_length(version.model_description) + text_length(version.description)
    return [
        ("a description of at least 40 words", 0.2, words >= 40),
        ("at least three tags", 0.1, len(version.tags) >= 3),
        ("a known base model", 0.15, bool(version.base_model) and version.base_model != "Other"),
        (
            "trigger words",
            0.1,
            version.model_type not in NEEDS_TRIGGER_WORDS or bool(version.trained_words),
        ),
        ("a primary file", 0.1, version.has_primary_file),
        (
            "a published SHA256 for every file",
            0.15,
            version.file_count > 0 and version.hashed_file_count == version.file_count,
        ),
        ("preview images", 0.1, version.image_count > 0),
        ("generation parameters on a preview", 0.05, version.images_with_meta > 0),
        ("license permission flags", 0.05, version.license_flags_set),
    ]


@hookimpl
def hubgate_score_version(version: VersionSnapshot) -> Score:
    checks = _checks(version)
    value = sum(weight for _, weight, present in checks if present)
    missing = [what for what, _, present in checks if not present]
    explanation = (
        "Complete: every piece of documentation a reviewer needs is present."
        if not missing
        else "Missing: " + ", ".join(missing) + "."
    )
    return Score(
        name="metadata_completeness", value=round(min(value, 1.0), 4), explanation=explanation
    )
