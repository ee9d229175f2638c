"""Recommends models that share tags, base models and type with a model or a user's models.

Similarity of two models = 0.6 * Jaccard(tags) + 0.3 * (share a base model) + 0.1 * (same
type), in [0, 1]. Cheap and explainable; the baseline other recommenders are measured against.
"""

from __future__ import annotations

from collections.abc import Sequence

from governance.hookspecs import (
    ModelSnapshot,
    PluginSettings,
    Recommendation,
    UserSnapshot,
    hookimpl,
)

DEFAULT_MIN_SCORE = 0.15


hubgate_settings = PluginSettings(
    defaults={"min_score": DEFAULT_MIN_SCORE},
    types={"min_score": float},
    checks={"min_score": (lambda value: 0 <= value <= 1, "a number in [0, 1]")},
)


def similarity(a: ModelSnapshot, b: ModelSnapshot) -> tuple[float, str]:
    """How alike two models are, and why, in words."""
    shared_tags = a.tags & b.tags
    union = a.tags | b.tags
    jaccard = len(shared_tags) / len(union) if union else 0.0
    shared_base = a.base_models & b.base_models
    score = 0.6 * jaccard + 0.3 * bool(shared_base) + 0.1 * (a.type == b.type)
    reasons = []
    if shared_tags:
        reasons.append("tags " + ", ".join(sorted(shared_tags)[:3]))
    if shared_base:
        reasons.append("base model " + ", ".join(sorted(shared_base)[:2]))
    if a.type == b.type:
        reasons.append(f"type {a.type}")
    return round(score, 4), "shares " + "; ".join(reasons) if reasons else ""


def _rank(scored: list[tuple[float, str, ModelSnapshot]], limit: int) -> list[Recommendation]:
    scored = [item for item in scored if item[0] >= hubgate_settings["min_score"]]
    # Ties go to the more downloaded model, then the lower id, so results are stable.
    scored.sort(key=lambda item: (-item[0], -item[2].download_count, item[2].id))
    return [Recommendation(model.id, score, reason) for score, reason, model in scored[:limit]]


@hookimpl
def hubgate_recommend_similar(
    model: ModelSnapshot, candidates: Sequence[ModelSnapshot], limit: int
) -> list[Recommendation]:
    scored = []
    for candidate in candidates:
        score, why = similarity(model, candidate)
        scored.append((score, f"Like {model.name}: {why}", candidate))
    return _rank(scored, limit)


@hookimpl
def hubgate_recommend_for_user(
    user: UserSnapshot, candidates: Sequence[ModelSnapshot], limit: int
) -> list[Recommendation] | None:
    if not user.history:
        return None  # nothing to go on; other recommenders (trending, new) can answer
    scored = []
    for candidate in candidates:
        best_score, best_reason = 0.0, ""
        for used in user.history:
            score, why = similarity(used, candidate)
            if score > best_score:
                best_score, best_reason = score, f"Your team uses {used.name}; this {why}"
        scored.append((best_score, best_reason, candidate))
    return _rank(scored, limit)
