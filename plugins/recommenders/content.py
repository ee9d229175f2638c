"""Content-based recommender: models described alike are alike.

Similarity of two models, each part in [0, 1]:

* tags — cosine of IDF-weighted tag sets (a shared rare tag like ``claymation`` says more
  than a shared ``style``), IDF computed over the candidates of the call;
* base model — 1 for a shared base model, 0.6 for the same architecture family
  (Pony and SDXL 1.0), else 0;
* type — 1 for the same type, 0.5 when both are add-ons (a LoRA and a LoCon), else 0;
* trigger words — Jaccard of the words in the trained words;
* embedding — a bonus when both models have a text embedding and their cosine is above
  :data:`EMBEDDING_FLOOR` (sentence encoders put unrelated texts near 0.1-0.3).

The score is the weighted mean of the first four parts that can be computed, plus the
embedding bonus (``weight * (cosine - floor) / (1 - floor)``, capped at 1). A bonus, not a
part of the mean: only some models may have an embedding yet, and a part that exists for
some candidates and not others would make their scores incomparable. Weights are
configurable under ``content_based``. Each recommendation says which parts it rests on,
naming the model it is like: "Like X: tags claymation, video; same base model (Pony)".
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from governance.hookspecs import (
    ModelSnapshot,
    PluginSettings,
    Recommendation,
    UserSnapshot,
    hookimpl,
)

DEFAULT_WEIGHTS = {"tags": 0.35, "base_model": 0.25, "type": 0.15, "words": 0.1, "embedding": 0.3}
DEFAULT_MIN_SCORE = 0.25
EMBEDDING_FLOOR = 0.3
#: CivitAI's catch-all base model: two models on "Other" share nothing known.
UNKNOWN_BASE = "Other"
_NOT_ADDONS = {"Checkpoint", "Workflows", "Other"}
_WORD = re.compile(r"[a-z0-9]+")


def _weights_valid(weights: Mapping[str, Any]) -> bool:
    return set(weights) <= set(DEFAULT_WEIGHTS) and all(
        not isinstance(w, bool) and isinstance(w, int | float) and w >= 0 for w in weights.values()
    )


hubgate_settings = PluginSettings(
    # A site may name only the weights it changes; the others keep their defaults.
    defaults={"weights": {}, "min_score": DEFAULT_MIN_SCORE},
    types={"weights": dict, "min_score": float},
    checks={
        "weights": (
            _weights_valid,
            f"non-negative numbers for some of {sorted(DEFAULT_WEIGHTS)}",
        ),
        "min_score": (lambda value: 0 <= value <= 1, "a number in [0, 1]"),
    },
)


def _current_weights() -> dict[str, float]:
    return {**DEFAULT_WEIGHTS, **hubgate_settings["weights"]}


def tag_idf(models: Sequence[ModelSnapshot]) -> dict[str, float]:
    """Inverse document frequency of each tag among ``models`` (smoothed, always > 0)."""
    df = Counter(tag for m in models for tag in m.tags)
    n = len(models)
    return {tag: math.log((1 + n) / (1 + count)) + 1.0 for tag, count in df.items()}


def _words(model: ModelSnapshot) -> frozenset[str]:
    return _words_of(model.trained_words)


@functools.lru_cache(maxsize=8192)
def _words_of(trained_words: frozenset[str]) -> frozenset[str]:
    return frozenset(w for phrase in trained_words for w in _WORD.findall(phrase.lower()))


#: ``similarity(..., cosine=COMPUTE)`` computes the embeddings' cosine itself.
COMPUTE: Any = object()


def embedding_cosines(
    rows: Sequence[ModelSnapshot], columns: Sequence[ModelSnapshot]
) -> list[list[float | None]]:
    """The cosine of every (row, column) pair's embeddings in one matrix product (they are
    unit length); ``None`` where either has no embedding or their sizes differ."""
    sizes = Counter(len(m.embedding) for m in (*rows, *columns) if m.embedding)
    if not sizes:
        return [[None] * len(columns) for _ in rows]
    size = sizes.most_common(1)[0][0]

    def matrix(models: Sequence[ModelSnapshot]) -> tuple[np.ndarray, np.ndarray]:
        has = np.array([len(m.embedding) == size for m in models], dtype=bool)
        out = np.zeros((len(models), size))
        for i, m in enumerate(models):
            if has[i]:
                out[i] = m.embedding
        return out, has

    left, left_has = matrix(rows)
    right, right_has = matrix(columns)
    products = (left @ right.T).tolist()
    return [
        [products[i][j] if left_has[i] and right_has[j] else None for j in range(len(columns))]
        for i in range(len(rows))
    ]


def similarity(
    a: ModelSnapshot,
    b: ModelSnapshot,
    idf: Mapping[str, float],
    *,
    cosine: float | None = COMPUTE,
    norms: dict[frozenset[str], float] | None = None,
) -> tuple[float, list[str]]:
    """How alike ``a`` and ``b`` are in [0, 1], and the parts it rests on, in words.

    ``cosine`` is their embeddings' cosine when the caller computed it in bulk
    (:func:`embedding_cosines`; ``None`` for "no embedding pair"); ``norms`` a memo of tag
    sets' IDF norms a caller comparing many pairs under one ``idf`` passes along."""
    weights = _current_weights()
    parts: dict[str, float] = {}
    why: list[str] = []
    # Missing tags or base models are no evidence of likeness: they count as 0, so an
    # undocumented model never outranks a documented one. Only both missing is skipped.
    if a.tags or b.tags:
        memo = {} if norms is None else norms

        def norm(tags: frozenset[str]) -> float:
            if tags not in memo:
                memo[tags] = math.sqrt(sum(idf.get(t, 1.0) ** 2 for t in tags))
            return memo[tags]

        shared = a.tags & b.tags
        denominator = norm(a.tags) * norm(b.tags)
        parts["tags"] = sum(idf.get(t, 1.0) ** 2 for t in shared) / denominator if shared else 0.0
        if shared:
            rare_first = sorted(shared, key=lambda t: (-idf.get(t, 1.0), t))[:3]
            why.append("tags " + ", ".join(rare_first))
    bases_a, bases_b = a.base_models - {UNKNOWN_BASE}, b.base_models - {UNKNOWN_BASE}
    if bases_a or bases_b:
        shared_base = bases_a & bases_b
        if shared_base:
            parts["base_model"] = 1.0
            why.append("same base model (" + ", ".join(sorted(shared_base)[:2]) + ")")
        elif a.base_model_families & b.base_model_families:
            parts["base_model"] = 0.6
            why.append(
                "same architecture ("
                + sorted(a.base_model_families & b.base_model_families)[0]
                + ")"
            )
        else:
            parts["base_model"] = 0.0
    if a.type == b.type:
        parts["type"] = 1.0
        why.append(f"both {a.type}")
    else:
        parts["type"] = 0.5 if a.type not in _NOT_ADDONS and b.type not in _NOT_ADDONS else 0.0
    words_a, words_b = _words(a), _words(b)
    if words_a and words_b:
        shared_words = words_a & words_b
        parts["words"] = len(shared_words) / len(words_a | words_b)
        if shared_words:
            why.append("trigger words " + ", ".join(sorted(shared_words)[:2]))
    total = sum(weights[name] for name in parts)
    score = sum(weights[name] * value for name, value in parts.items()) / total if total else 0.0
    if cosine is COMPUTE:
        cosine = None
        if a.embedding and b.embedding and len(a.embedding) == len(b.embedding):
            cosine = float(np.dot(a.embedding, b.embedding))
    if cosine is not None:
        lift = max(0.0, (cosine - EMBEDDING_FLOOR) / (1 - EMBEDDING_FLOOR))
        score += weights["embedding"] * lift
        if lift >= 0.3:
            why.append("similar description")
    return round(min(1.0, max(0.0, score)), 4), why


def _rank(scored: list[tuple[float, str, ModelSnapshot]], limit: int) -> list[Recommendation]:
    kept = [item for item in scored if item[0] >= hubgate_settings["min_score"]]
    kept.sort(key=lambda item: (-item[0], -item[2].download_count, item[2].id))
    return [Recommendation(model.id, score, reason) for score, reason, model in kept[:limit]]


@hookimpl
def hubgate_recommend_similar(
    model: ModelSnapshot, candidates: Sequence[ModelSnapshot], limit: int
) -> list[Recommendation]:
    idf = tag_idf([model, *candidates])
    [cosines] = embedding_cosines([model], candidates)
    norms: dict[frozenset[str], float] = {}
    scored = []
    for candidate, cosine in zip(candidates, cosines, strict=True):
        score, why = similarity(model, candidate, idf, cosine=cosine, norms=norms)
        scored.append((score, f"Like {model.name}: " + "; ".join(why), candidate))
    return _rank(scored, limit)


#: The last :func:`score_for_user` answer: the hybrid recommender asks the same question as
#: this one in the same hook call (same user and candidates objects, both immutable).
_last_for_user: tuple[Any, ...] = ()


def score_for_user(
    user: UserSnapshot, candidates: Sequence[ModelSnapshot]
) -> dict[int, tuple[float, str]]:
    """Each candidate's content score for ``user`` and why: half the best match with one of
    their models, half the feedback-weighted mean over all of them."""
    global _last_for_user
    last = _last_for_user
    key = (user, candidates, tuple(c.id for c in candidates), _current_weights())
    if (
        last
        and all(a is b for a, b in zip(last[:2], key[:2], strict=True))
        and last[2:4] == key[2:]
    ):
        return last[4]
    out = _score_for_user(user, candidates)
    _last_for_user = (*key, out)
    return out


def _score_for_user(
    user: UserSnapshot, candidates: Sequence[ModelSnapshot]
) -> dict[int, tuple[float, str]]:
    weights = dict(user.weights)
    idf = tag_idf([*user.history, *candidates])
    total_weight = sum(weights.get(h.id, 1.0) for h in user.history)
    cosines = embedding_cosines(candidates, user.history)
    norms: dict[frozenset[str], float] = {}
    out: dict[int, tuple[float, str]] = {}
    for candidate, row in zip(candidates, cosines, strict=True):
        best, best_why, weighted = 0.0, "", 0.0
        for used, cosine in zip(user.history, row, strict=True):
            score, why = similarity(used, candidate, idf, cosine=cosine, norms=norms)
            weighted += weights.get(used.id, 1.0) * score
            if score > best:
                best, best_why = score, f"Like {used.name}, which your team uses: " + "; ".join(why)
        out[candidate.id] = (round(0.5 * best + 0.5 * weighted / total_weight, 4), best_why)
    return out


@hookimpl
def hubgate_recommend_for_user(
    user: UserSnapshot, candidates: Sequence[ModelSnapshot], limit: int
) -> list[Recommendation] | None:
    if not user.history:
        return None  # cold start: the hybrid and trending recommenders answer
    by_id = {c.id: c for c in candidates}
    scored = [(s, why, by_id[mid]) for mid, (s, why) in score_for_user(user, candidates).items()]
    return _rank(scored, limit)
