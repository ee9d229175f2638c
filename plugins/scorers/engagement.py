"""Engagement: how many of the people who downloaded a model kept it as a favorite.

Downloads are cheap, a favorite is a deliberate "I'd use this again"; the ratio separates
models people try from models people keep. Favorites and downloads are pooled from the hub
(which counts favorites per model, not per version, so every version shares its model's
ratio) and from Hubgate itself (its users' favorites over its recorded uses of the last 60
days). The ratio is Bayesian-smoothed, a Beta prior ``(favs + s*m) / (downloads + s)`` with
prior rate ``m`` (``prior_rate``, default 3 %) worth ``s`` downloads (``prior_downloads``,
default 2,000): a model with 40 downloads and 10 favorites is not a 25 % model yet. Mapped to
[0, 1] on a log scale from 5 favorites per 1,000 downloads (0) to 150 (1). Abstains when
nobody downloaded or favorited the model.
"""

from __future__ import annotations

import math

from governance.hookspecs import PluginSettings, Score, VersionSnapshot, hookimpl

DEFAULTS = {"prior_rate": 0.03, "prior_downloads": 2000.0}
FLOOR, CEILING = 0.005, 0.150


hubgate_settings = PluginSettings(
    defaults=DEFAULTS,
    types={"prior_rate": float, "prior_downloads": float},
    checks={
        "prior_rate": (lambda value: 0 < value < 1, "a number strictly between 0 and 1"),
        "prior_downloads": (lambda value: value > 0, "a positive number"),
    },
)


def smoothed_rate(favorites: int, downloads: int) -> float:
    """Favorites per download, pulled towards the prior rate while downloads are few."""
    s, m = hubgate_settings["prior_downloads"], hubgate_settings["prior_rate"]
    return (favorites + s * m) / (max(downloads, favorites) + s)


@hookimpl
def hubgate_score_version(version: VersionSnapshot) -> Score | None:
    local_uses = version.recent_usage_count + version.previous_usage_count
    favorites = version.model_favorite_count + version.local_favorite_count
    downloads = version.model_download_count + local_uses
    if not downloads and not favorites:
        return None
    rate = smoothed_rate(favorites, downloads)
    value = math.log(max(rate, FLOOR) / FLOOR) / math.log(CEILING / FLOOR)
    sources = [
        f"{version.model_favorite_count:,} hub favorites per "
        f"{version.model_download_count:,} hub downloads"
    ]
    if version.local_favorite_count or local_uses:
        sources.append(
            f"{version.local_favorite_count} Hubgate favorites per {local_uses} recent uses"
        )
    explanation = (
        f"{1000 * rate:.1f} favorites per 1,000 downloads (Bayesian-smoothed; "
        + "; ".join(sources)
        + ")."
    )
    return Score("engagement", round(min(1.0, value), 4), explanation)
