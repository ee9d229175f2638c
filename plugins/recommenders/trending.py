"""Trending recommender: what the company is using more and more right now.

Reads :attr:`ModelSnapshot.trend`, the time-decayed usage Hubgate computes with the
community app's trend math (the one place it lives), in [0, 1]. "For you" favors trending
models of the architectures the user's team works with; "similar" lists trending models
of the same architecture. Abstains when nothing is trending.
"""

from __future__ import annotations

from collections.abc import Sequence

from governance.hookspecs import ModelSnapshot, Recommendation, UserSnapshot, hookimpl

MIN_TREND = 0.05


def _rank(found: list[tuple[float, str, int]], limit: int) -> list[Recommendation] | None:
    if not found:
        return None
    found.sort(key=lambda item: (-item[0], item[2]))
    return [Recommendation(mid, round(score, 4), why) for score, why, mid in found[:limit]]


@hookimpl
def hubgate_recommend_similar(
    model: ModelSnapshot, candidates: Sequence[ModelSnapshot], limit: int
) -> list[Recommendation] | None:
    found = []
    for c in candidates:
        shared = sorted(c.base_model_families & model.base_model_families)
        if c.trend >= MIN_TREND and shared:
            found.append((c.trend, f"Trending now, built for {shared[0]} like {model.name}", c.id))
    return _rank(found, limit)


@hookimpl
def hubgate_recommend_for_user(
    user: UserSnapshot, candidates: Sequence[ModelSnapshot], limit: int
) -> list[Recommendation] | None:
    families = frozenset().union(*(h.base_model_families for h in user.history))
    found = []
    for c in candidates:
        if c.trend < MIN_TREND:
            continue
        if families and c.base_model_families & families:
            found.append(
                (c.trend, "Trending in your company, for an architecture your team uses", c.id)
            )
        else:
            found.append((0.6 * c.trend, "Trending in your company", c.id))
    return _rank(found, limit)
