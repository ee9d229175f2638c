"""Compatibility recommender: add-ons that load on a checkpoint, and checkpoints for an add-on.

LoRAs, LoCons, DoRAs, embeddings, hypernetworks, ControlNets, VAEs and motion modules are
trained for one architecture; :attr:`ModelSnapshot.base_model_families` says which. For a
checkpoint it recommends the add-ons of its family (a shared exact base model first), for
an add-on the checkpoints it loads on, and "for you" the add-ons that fit the checkpoints
the user's team uses. Upscalers, wildcards and poses fit any checkpoint. Among fitting
models, better quality and wider use rank first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from governance.hookspecs import ModelSnapshot, Recommendation, UserSnapshot, hookimpl

CHECKPOINT = "Checkpoint"
UNIVERSAL = frozenset({"Upscaler", "Wildcards", "Poses"})
NOT_ADDONS = frozenset({CHECKPOINT, "Workflows", "Other"})


def fit(addon: ModelSnapshot, checkpoint: ModelSnapshot) -> tuple[float, str] | None:
    """How well ``addon`` fits ``checkpoint`` (1 exact base model, 0.7 same family, 0.4 any
    checkpoint) and why, or ``None`` when it does not load on it."""
    if checkpoint.type != CHECKPOINT or addon.type in NOT_ADDONS:
        return None
    if addon.type in UNIVERSAL:
        return 0.4, f"A {addon.type} works with any checkpoint, {checkpoint.name} included"
    shared = addon.base_models & checkpoint.base_models
    if shared:
        return (
            1.0,
            f"{addon.type} for {', '.join(sorted(shared))}, same base model as {checkpoint.name}",
        )
    family = addon.base_model_families & checkpoint.base_model_families
    if family:
        return (
            0.7,
            f"{addon.type} for the {sorted(family)[0]} architecture {checkpoint.name} is built on",
        )
    return None


def _prior(candidate: ModelSnapshot, top_downloads: int) -> float:
    quality = candidate.quality if candidate.quality is not None else 0.5
    use = math.log1p(candidate.download_count) / math.log1p(top_downloads) if top_downloads else 0
    return 0.5 * quality + 0.5 * use


def _rank(found: dict[int, tuple[float, str]], limit: int) -> list[Recommendation]:
    ranked = sorted(found.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [Recommendation(mid, score, why) for mid, (score, why) in ranked[:limit]]


@hookimpl
def hubgate_recommend_similar(
    model: ModelSnapshot, candidates: Sequence[ModelSnapshot], limit: int
) -> list[Recommendation] | None:
    top = max((c.download_count for c in candidates), default=0)
    found: dict[int, tuple[float, str]] = {}
    for c in candidates:
        if model.type == CHECKPOINT:
            match = fit(c, model)
        elif model.type not in NOT_ADDONS and c.type == CHECKPOINT:
            match = fit(model, c)
            if match:
                match = (match[0], f"Runs on {c.name}: " + match[1][0].lower() + match[1][1:])
        else:
            match = None
        if match:
            found[c.id] = (round(0.7 * match[0] + 0.3 * _prior(c, top), 4), match[1])
    return _rank(found, limit) if found else None


@hookimpl
def hubgate_recommend_for_user(
    user: UserSnapshot, candidates: Sequence[ModelSnapshot], limit: int
) -> list[Recommendation] | None:
    checkpoints = [h for h in user.history if h.type == CHECKPOINT]
    if not checkpoints:
        return None
    weights = dict(user.weights)
    top_weight = max(weights.get(h.id, 1.0) for h in checkpoints)
    top = max((c.download_count for c in candidates), default=0)
    found: dict[int, tuple[float, str]] = {}
    for c in candidates:
        for checkpoint in checkpoints:
            match = fit(c, checkpoint)
            if not match:
                continue
            # An add-on for the checkpoint the team relies on most comes first.
            reliance = weights.get(checkpoint.id, 1.0) / top_weight
            score = round(0.5 * match[0] * reliance + 0.2 * match[0] + 0.3 * _prior(c, top), 4)
            if score > found.get(c.id, (0.0, ""))[0]:
                found[c.id] = (score, f"Fits {checkpoint.name}, which your team uses: {match[1]}")
    return _rank(found, limit) if found else None
