"""Collaborative recommender: item-item similarity from implicit feedback.

Hubgate precomputes, in a Celery task, each model's nearest neighbours by who used them
together (downloads, deployments, favorites, ratings, collection co-membership) and hands
them over as :attr:`ModelSnapshot.neighbors`. "Similar" is the model's own neighbour list;
"for you" scores each candidate by the feedback-weighted mean of its similarity to the
models the user and their teams use. Abstains where nobody has used anything yet.
"""

from __future__ import annotations

from collections.abc import Sequence

from governance.hookspecs import ModelSnapshot, Recommendation, UserSnapshot, hookimpl


@hookimpl
def hubgate_recommend_similar(
    model: ModelSnapshot, candidates: Sequence[ModelSnapshot], limit: int
) -> list[Recommendation] | None:
    if not model.neighbors:
        return None
    allowed = {c.id for c in candidates}
    recs = [
        Recommendation(mid, score, f"People who use {model.name} also use this")
        for mid, score in model.neighbors
        if mid in allowed and score > 0
    ]
    return recs[:limit]


def score_for_user(
    user: UserSnapshot, candidates: Sequence[ModelSnapshot]
) -> dict[int, tuple[float, str]]:
    """Each reachable candidate's collaborative score for ``user`` and why."""
    weights = dict(user.weights)
    total = sum(weights.get(h.id, 1.0) for h in user.history)
    allowed = {c.id for c in candidates}
    sums: dict[int, float] = {}
    best: dict[int, tuple[float, str]] = {}
    for used in user.history:
        w = weights.get(used.id, 1.0)
        for mid, score in used.neighbors:
            if mid not in allowed:
                continue
            sums[mid] = sums.get(mid, 0.0) + w * score
            if score > best.get(mid, (0.0, ""))[0]:
                best[mid] = (score, used.name)
    out = {}
    for mid, value in sums.items():
        # The weighted mean alone punishes a wide history; the best single link keeps a
        # strong co-use visible.
        score = 0.5 * best[mid][0] + 0.5 * value / total
        out[mid] = (
            round(min(1.0, score), 4),
            f"Teams like yours use this together with {best[mid][1]}",
        )
    return out


@hookimpl
def hubgate_recommend_for_user(
    user: UserSnapshot, candidates: Sequence[ModelSnapshot], limit: int
) -> list[Recommendation] | None:
    if not user.history or not any(h.neighbors for h in user.history):
        return None
    scored = sorted(score_for_user(user, candidates).items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [Recommendation(mid, score, why) for mid, (score, why) in scored[:limit] if score > 0]
