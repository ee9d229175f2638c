"""Preview coverage: can a reviewer see what the model does before anyone downloads it?

One preview shows a model can make one image; its range (styles, subjects, failure cases)
takes several. The score is the number of preview images over four, capped at 1: none 0,
one 0.25, two 0.5, four or more 1.
"""

from __future__ import annotations

from governance.hookspecs import Score, VersionSnapshot, hookimpl

FULL_PREVIEWS = 4


@hookimpl
def hubgate_score_version(version: VersionSnapshot) -> Score:
    value = min(1.0, version.image_count / FULL_PREVIEWS)
    return Score(
        "preview_coverage",
        round(value, 4),
        f"{version.image_count} preview image(s); {FULL_PREVIEWS} is full marks.",
    )
