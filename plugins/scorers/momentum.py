"""Momentum: is a version being taken up, here and on the hub?

Local momentum (when Hubgate has recorded use): uses in the last 30 days on a log scale
(50 uses is full marks) and how many teams, nudged up when use grew over the 30 days
before. Hub momentum: downloads per day since publication on a log scale (1,000 a day is
full marks). With local use the score is 0.6 local + 0.4 hub, else the hub's alone.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from governance.hookspecs import Score, VersionSnapshot, hookimpl


def _scale(value: float, full: float) -> float:
    return min(1.0, math.log1p(max(0.0, value)) / math.log1p(full))


def _sentence(parts: list[str]) -> str:
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


@hookimpl
def hubgate_score_version(version: VersionSnapshot) -> Score | None:
    parts: list[str] = []
    hub = None
    if version.published_at is not None and version.download_count:
        days = max(1.0, (datetime.now(UTC) - version.published_at).total_seconds() / 86400)
        per_day = version.download_count / days
        hub = _scale(per_day, 1000)
        parts.append(f"{per_day:,.1f} hub downloads a day since publication")
    local = None
    if version.recent_usage_count or version.previous_usage_count:
        local = 0.7 * _scale(version.recent_usage_count, 50) + 0.3 * _scale(
            version.recent_team_count, 5
        )
        growth = version.recent_usage_count - version.previous_usage_count
        if growth > 0:
            local = min(1.0, local + 0.1)
        parts.append(
            f"{version.recent_usage_count} uses by {version.recent_team_count} team(s) in Hubgate "
            f"in 30 days ({'+' if growth >= 0 else ''}{growth} on the 30 days before)"
        )
    if hub is None and local is None:
        return None
    value = local if hub is None else hub if local is None else 0.6 * local + 0.4 * hub
    return Score("momentum", round(value, 4), _sentence(parts))
