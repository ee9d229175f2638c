"""Community quality: a Bayesian average of what people said, never a raw mean of few votes.

Votes pooled on the 1-5 star scale: the hub's star ratings (``rating`` x ``rating_count``),
its thumbs (up = 5 stars, down = 1 star) and the stars Hubgate's own users gave. The
Bayesian average ``(C*m + sum of stars) / (C + n)`` pulls a version with few votes towards
the prior mean ``m`` (``prior_mean``, default 3.5 stars) as if it had ``C`` more votes
(``prior_votes``, default 20): three five-star votes give 3.7 stars, not 5. Mapped to [0, 1]
as ``(stars - 1) / 4``. Abstains when nobody has voted.
"""

from __future__ import annotations

from governance.hookspecs import PluginSettings, Score, VersionSnapshot, hookimpl

DEFAULTS = {"prior_mean": 3.5, "prior_votes": 20.0}


hubgate_settings = PluginSettings(
    defaults=DEFAULTS,
    types={"prior_mean": float, "prior_votes": float},
    checks={
        "prior_mean": (lambda value: 1 <= value <= 5, "a number of stars in [1, 5]"),
        "prior_votes": (lambda value: value > 0, "a positive number"),
    },
)


def bayesian_stars(version: VersionSnapshot) -> tuple[float, int, list[str]]:
    """(Bayesian mean in stars, number of votes, where the votes came from)."""
    total, n, sources = 0.0, 0, []
    if version.rating_count and version.rating:
        total += version.rating * version.rating_count
        n += version.rating_count
        sources.append(f"{version.rating_count} hub ratings averaging {version.rating:.2f}")
    thumbs = version.thumbs_up_count + version.thumbs_down_count
    if thumbs:
        total += 5 * version.thumbs_up_count + 1 * version.thumbs_down_count
        n += thumbs
        sources.append(f"{version.thumbs_up_count} up / {version.thumbs_down_count} down")
    local_n = sum(count for _, count in version.local_ratings)
    if local_n:
        local_total = sum(star * count for star, count in version.local_ratings)
        total += local_total
        n += local_n
        sources.append(f"{local_n} Hubgate reviews averaging {local_total / local_n:.2f}")
    prior_votes, prior_mean = hubgate_settings["prior_votes"], hubgate_settings["prior_mean"]
    return (prior_votes * prior_mean + total) / (prior_votes + n), n, sources


@hookimpl
def hubgate_score_version(version: VersionSnapshot) -> Score | None:
    stars, n, sources = bayesian_stars(version)
    if not n:
        return None
    prior_votes, prior_mean = hubgate_settings["prior_votes"], hubgate_settings["prior_mean"]
    explanation = (
        f"{stars:.2f} stars, Bayesian average of {n} votes ({'; '.join(sources)}) with a "
        f"prior of {prior_votes:g} votes at {prior_mean:g} stars."
    )
    return Score(name="community_quality", value=round((stars - 1) / 4, 4), explanation=explanation)
