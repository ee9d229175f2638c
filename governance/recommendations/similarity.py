"""Item-item similarity from implicit feedback: the collaborative recommender's matrix.

Each *actor* (a person, and the team a use was made for: :func:`baskets`) has a preference
vector over models: the sum of their feedback weights per model, dampened with ``log1p`` so
a thousand CI downloads do not outweigh one favorite by a thousand to one. Negative
feedback (a one-star rating) removes preference and never creates similarity. Two models
are similar when the same actors prefer both: cosine of their actor vectors, shrunk towards
0 when few actors support it (``support / (support + shrinkage)``), so two models that one
person happened to use together do not look like twins. Pure Python over plain tuples; the
Celery task stores the result and no request computes it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass

DEFAULT_TOP_K = 50
DEFAULT_SHRINKAGE = 3.0
#: An actor's most-used models considered for co-occurrence; bounds the pair count.
MAX_ITEMS_PER_ACTOR = 300


@dataclass(frozen=True, slots=True)
class Neighbor:
    model_id: int
    score: float
    #: How many actors prefer both models.
    support: int


def baskets(
    events: Iterable[tuple[Hashable, Hashable | None, int, float]],
) -> Iterator[tuple[Hashable, int, float]]:
    """``(person, team, model_id, weight)`` -> ``(actor, model_id, weight)``: each use counts
    for the person and, when it was made for a team, for the team as well, so models a team
    uses together are similar even when different members use them ("teams like yours")."""
    for person, team, model_id, weight in events:
        yield person, model_id, weight
        if team is not None and team != person:
            yield team, model_id, weight


def preference_vectors(
    events: Iterable[tuple[Hashable, int, float]],
) -> dict[Hashable, dict[int, float]]:
    """``(actor, model_id, weight)`` events -> actor -> model -> dampened positive preference."""
    sums: dict[Hashable, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for actor, model_id, weight in events:
        sums[actor][model_id] += weight
    vectors: dict[Hashable, dict[int, float]] = {}
    for actor, prefs in sums.items():
        positive = {m: math.log1p(w) for m, w in prefs.items() if w > 0}
        if positive:
            vectors[actor] = positive
    return vectors


def item_item_similarity(
    events: Iterable[tuple[Hashable, int, float]],
    *,
    top_k: int = DEFAULT_TOP_K,
    shrinkage: float = DEFAULT_SHRINKAGE,
) -> dict[int, list[Neighbor]]:
    """Each model's ``top_k`` most similar models by shrunk cosine, best first."""
    vectors = preference_vectors(events)
    norms: dict[int, float] = defaultdict(float)
    dots: dict[tuple[int, int], float] = defaultdict(float)
    support: dict[tuple[int, int], int] = defaultdict(int)
    for prefs in vectors.values():
        items = sorted(prefs.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_ITEMS_PER_ACTOR]
        for model_id, value in items:
            norms[model_id] += value * value
        for i, (a, va) in enumerate(items):
            for b, vb in items[i + 1 :]:
                key = (a, b) if a < b else (b, a)
                dots[key] += va * vb
                support[key] += 1
    neighbors: dict[int, list[Neighbor]] = defaultdict(list)
    for (a, b), dot in dots.items():
        n = support[(a, b)]
        cosine = dot / math.sqrt(norms[a] * norms[b])
        score = min(1.0, cosine * n / (n + shrinkage))
        if score <= 0:
            continue
        neighbors[a].append(Neighbor(b, round(score, 6), n))
        neighbors[b].append(Neighbor(a, round(score, 6), n))
    return {
        model_id: sorted(found, key=lambda nb: (-nb.score, nb.model_id))[:top_k]
        for model_id, found in neighbors.items()
    }


def neighbor_tuples(
    matrix: Mapping[int, list[Neighbor]], model_id: int
) -> tuple[tuple[int, float], ...]:
    """One model's row of the matrix in the shape :class:`ModelSnapshot` carries."""
    return tuple((nb.model_id, nb.score) for nb in matrix.get(model_id, ()))
