"""Availability: can the version still be had, and will anyone keep it working?

A model the hub took down (usually a rights or safety complaint) scores 0; one its creator
archived (no further updates, no support, files may vanish) 0.25. A version still in the
hub's early access (only paying supporters can download it; the public release may differ)
scores 0.7, a private one 0.5. Everything else is available: 1.0.
"""

from __future__ import annotations

from governance.hookspecs import Score, VersionSnapshot, hookimpl

MODE_SCORE = {
    "TakenDown": (0.0, "The hub took the model down"),
    "Archived": (0.25, "Its creator archived the model: no updates or support"),
}
AVAILABILITY_SCORE = {
    "EarlyAccess": (0.7, "The version is still in the hub's early access"),
    "Private": (0.5, "The version is private on the hub"),
}


@hookimpl
def hubgate_score_version(version: VersionSnapshot) -> Score:
    found = [MODE_SCORE[version.model_mode]] if version.model_mode in MODE_SCORE else []
    if version.availability in AVAILABILITY_SCORE:
        found.append(AVAILABILITY_SCORE[version.availability])
    if not found:
        return Score("availability", 1.0, "Available and not archived.")
    return Score(
        "availability", min(value for value, _ in found), "; ".join(why for _, why in found) + "."
    )
