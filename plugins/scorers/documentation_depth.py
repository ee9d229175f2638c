"""Documentation depth: not whether each piece is there (metadata_completeness asks that)
but whether there is enough of it to judge and reproduce the model without downloading it.

Two parts: the description (0.6; model and version descriptions together, 150 words is
full marks) and the previews that carry their generation parameters (0.4; the share of
previews a reviewer can reproduce). How many previews there are is preview_coverage's.
"""

from __future__ import annotations

from governance.hookspecs import Score, VersionSnapshot, hookimpl
from plugins.scorers.metadata_completeness import text_length

FULL_WORDS = 150


@hookimpl
def hubgate_score_version(version: VersionSnapshot) -> Score:
    words = text_length(version.model_description) + text_length(version.description)
    reproducible = version.images_with_meta / version.image_count if version.image_count else 0.0
    value = 0.6 * min(1.0, words / FULL_WORDS) + 0.4 * reproducible
    explanation = (
        f"{words} words of description ({FULL_WORDS} is full marks); "
        f"{version.images_with_meta} of {version.image_count} preview(s) with generation "
        "parameters."
    )
    return Score("documentation_depth", round(value, 4), explanation)
