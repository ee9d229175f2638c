"""Hybrid recommender: collaborative and content-based scores blended, with popularity.

``score = w_collab * collaborative + w_content * content + w_pop * popularity``, where
popularity is the candidate's interaction count (people and teams who used it in Hubgate;
the hub's download count where Hubgate has none yet) on a log scale relative to the most
used candidate. Where there is no co-use data the collaborative weight moves to content;
with no history at all (a new user: cold start) the answer is what is popular, trending
and of good quality in the company. The reason given is the strongest part's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from governance.hookspecs import (
    ModelSnapshot,
    PluginSettings,
    Recommendation,
    UserSnapshot,
    hookimpl,
)
from plugins.recommenders import collaborative, content

DEFAULT_BLEND = {"collaborative": 0.5, "content": 0.3, "popularity": 0.2}


def _blend_valid(blend: Mapping[str, Any]) -> bool:
    merged = {**DEFAULT_BLEND, **blend}
    return (
        set(blend) <= set(DEFAULT_BLEND)
        and all(
            not isinstance(w, bool) and isinstance(w, int | float) and w >= 0
            for w in blend.values()
        )
        and sum(merged.values()) > 0
    )


hubgate_settings = PluginSettings(
    # A site may name only the weights it changes; the others keep their defaults.
    defaults={"blend": {}},
    types={"blend": dict},
    checks={
        "blend": (
            _blend_valid,
            f"non-negative numbers for some of {sorted(DEFAULT_BLEND)}, not all zero",
        )
    },
)


def _current_blend() -> dict[str, float]:
    return {**DEFAULT_BLEND, **hubgate_settings["blend"]}


def popularity(candidates: Sequence[ModelSnapshot]) -> dict[int, float]:
    """Log-scaled use in [0, 1]: Hubgate's own interaction counts, else hub downloads."""
    use_local = any(c.interaction_count for c in candidates)
    raw = {c.id: (c.interaction_count if use_local else c.download_count) for c in candidates}
    top = math.log1p(max(raw.values(), default=0))
    return {mid: (math.log1p(v) / top if top else 0.0) for mid, v in raw.items()}


def _blend(
    parts: Mapping[str, tuple[float, str]], weights: Mapping[str, float]
) -> tuple[float, str]:
    total = sum(weights[name] for name in parts)
    score = sum(weights[name] * value for name, (value, _) in parts.items()) / total
    strongest = max(parts, key=lambda name: (weights[name] * parts[name][0], name))
    return round(min(1.0, score), 4), parts[strongest][1]


def _rank(scored: dict[int, tuple[float, str]], limit: int) -> list[Recommendation]:
    ranked = sorted(scored.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [Recommendation(mid, s, why) for mid, (s, why) in ranked[:limit] if s > 0]


@hookimpl
def hubgate_recommend_similar(
    model: ModelSnapshot, candidates: Sequence[ModelSnapshot], limit: int
) -> list[Recommendation]:
    weights = _current_blend()
    idf = content.tag_idf([model, *candidates])
    neighbors = dict(model.neighbors)
    pop = popularity(candidates)
    [cosines] = content.embedding_cosines([model], candidates)
    scored = {}
    for c, cosine in zip(candidates, cosines, strict=True):
        sim, why = content.similarity(model, c, idf, cosine=cosine)
        parts = {
            "content": (sim, f"Like {model.name}: " + "; ".join(why)),
            "popularity": (pop[c.id], "Widely used in your company"),
        }
        if neighbors:
            parts["collaborative"] = (
                neighbors.get(c.id, 0.0),
                f"People who use {model.name} also use this",
            )
        scored[c.id] = _blend(parts, weights)
    return _rank(scored, limit)


def cold_start(candidates: Sequence[ModelSnapshot], limit: int) -> list[Recommendation]:
    """For someone with no history: popular, trending and well-rated models."""
    pop = popularity(candidates)
    scored = {}
    for c in candidates:
        parts = {"popularity": (pop[c.id], "Popular in your company")}
        weights = {"popularity": 0.6, "trend": 0.25, "quality": 0.15}
        if c.trend:
            parts["trend"] = (c.trend, "Trending in your company")
        if c.quality is not None:
            parts["quality"] = (c.quality, f"High quality score ({c.quality:.0%})")
        scored[c.id] = _blend(parts, weights)
    return _rank(scored, limit)


@hookimpl
def hubgate_recommend_for_user(
    user: UserSnapshot, candidates: Sequence[ModelSnapshot], limit: int
) -> list[Recommendation]:
    if not user.history:
        return cold_start(candidates, limit)
    weights = _current_blend()
    collab = collaborative.score_for_user(user, candidates)
    has_collab = any(h.neighbors for h in user.history)
    by_content = content.score_for_user(user, candidates)
    pop = popularity(candidates)
    scored = {}
    for c in candidates:
        parts = {
            "content": by_content[c.id],
            "popularity": (pop[c.id], "Widely used in your company"),
        }
        if has_collab:
            parts["collaborative"] = collab.get(c.id, (0.0, ""))
        scored[c.id] = _blend(parts, weights)
    return _rank(scored, limit)
