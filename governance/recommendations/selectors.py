"""Recommendations, asked of the plugins with visibility rules already applied.

Recommenders see :class:`ModelSnapshot`\\s enriched with what is expensive to compute (the
item-item neighbours precomputed by the Celery task, trend scores, composite quality from
``governance.scoring``) and only ever the models the user may see. Model snapshots are the
same for every user and cached per process (:func:`snapshots_of`); who may see what is
asked of the database on every request.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Max, QuerySet

from governance.accounts.models import Membership
from governance.catalog.models import Model
from governance.catalog.selectors import (
    visible_models,
    with_catalog_details,
)
from governance.community.selectors import interactions as community_interactions
from governance.community.selectors import trend_scores
from governance.discovery.selectors import model_embeddings
from governance.hookspecs import ModelSnapshot, Recommendation, UserSnapshot
from governance.plugins import PluginResult, call_hook
from governance.scoring.quality import composite_quality_for_models
from governance.usage.interactions import Interaction, usage_interactions

from .compatibility import ADDON_TYPES, check, families_of
from .models import InteractionStats, ItemSimilarity

HISTORY_LIMIT = 50


def embeddings_by_model(model_ids: Sequence[int]) -> dict[int, tuple[float, ...]]:
    """The discovery app's stored text embeddings (unit length) of ``model_ids``; empty when
    the set is larger than ``HUBGATE_RECS_EMBEDDING_MAX_MODELS`` (each embedding is 384
    floats in every snapshot)."""
    limit = getattr(settings, "HUBGATE_RECS_EMBEDDING_MAX_MODELS", 5000)
    if not model_ids or len(model_ids) > limit:
        return {}
    return {mid: tuple(map(float, vector)) for mid, vector in model_embeddings(model_ids).items()}


def interactions(
    *, since: datetime | None = None, user_ids: Iterable[int] | None = None
) -> Iterator[Interaction]:
    """Implicit feedback for the collaborative recommenders, not permission-filtered.

    People's downloads, deployments, favorites, ratings and collection items (community's
    ``interactions``) plus, unless ``user_ids`` narrows it to people, the uses registered
    for a team without a person (CI deployments), with the team as the actor. Weights come
    from the one table, ``governance.usage.interactions.WEIGHTS``.
    """
    yield from community_interactions(since=since, user_ids=user_ids)
    if user_ids is None:
        yield from usage_interactions(since=since, people=False)


def trend_by_model(model_ids: Sequence[int], *, today: date | None = None) -> dict[int, float]:
    """Time-decayed "hot" score per model from the community app's trend math, scaled to
    [0, 1] by the hottest model."""
    if not model_ids:
        return {}
    scores = {
        mid: max(0.0, float(t.hot))
        for mid, t in trend_scores(model_ids=model_ids, today=today).items()
    }
    top = max(scores.values(), default=0.0)
    return {mid: round(v / top, 6) for mid, v in scores.items()} if top > 0 else {}


def model_snapshots(models: QuerySet[Model]) -> list[ModelSnapshot]:
    """Recommender snapshots of ``models``, with neighbours, trend and quality attached."""
    rows = list(models.select_related("creator").prefetch_related("tags", "versions"))
    ids = [m.pk for m in rows]
    neighbors: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for a, b, score in (
        ItemSimilarity.objects.filter(model_a_id__in=ids)
        .order_by("model_a_id", "-score", "model_b_id")
        .values_list("model_a_id", "model_b_id", "score")
    ):
        neighbors[a].append((b, score))
    actors = dict(
        InteractionStats.objects.filter(model_id__in=ids).values_list("model_id", "actors")
    )
    trend = trend_by_model(ids)
    quality = composite_quality_for_models(ids)
    embeddings = embeddings_by_model(ids)
    snapshots = []
    for m in rows:
        versions = list(m.versions.all())
        base_models = frozenset(v.base_model for v in versions)
        q = quality.get(m.pk)
        snapshots.append(
            ModelSnapshot(
                id=m.pk,
                name=m.name,
                type=m.type,
                tags=frozenset(tag.name for tag in m.tags.all()),
                base_models=base_models,
                creator=m.creator.username if m.creator else "",
                nsfw=m.nsfw,
                download_count=m.download_count,
                rating=m.rating,
                trained_words=frozenset(
                    w.strip().lower() for v in versions for w in v.trained_words if w.strip()
                ),
                base_model_families=families_of(base_models),
                neighbors=tuple(neighbors.get(m.pk, ())),
                trend=trend.get(m.pk, 0.0),
                interaction_count=actors.get(m.pk, 0),
                embedding=embeddings.get(m.pk, ()),
                quality=q.value if q else None,
            )
        )
    return snapshots


class _SnapshotCache:
    """Every model's recommender snapshot, kept in this process between requests.

    Building snapshots (tags, versions, neighbours, trend, quality, embeddings) is the bulk
    of a request's work and the same for every user; permissions are never cached — each
    request picks the snapshots of the models its user may see. The cache is rebuilt when
    a model is added, removed or saved, when the item-item matrix is refreshed (both seen
    by :func:`_stamp`, two small queries per request), and at the latest every
    ``HUBGATE_RECS_SNAPSHOT_SECONDS`` (new scores, trend, tags); 0 turns it off.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self.stamp: tuple[Any, ...] | None = None
        self.built = 0.0
        self.snapshots: dict[int, ModelSnapshot] = {}


_cache = _SnapshotCache()


def clear_snapshot_cache() -> None:
    """Forget the cached snapshots (the next request rebuilds them)."""
    with _cache.lock:
        _cache.clear()


def _stamp() -> tuple[Any, ...]:
    models = Model.objects.aggregate(n=Count("pk"), changed=Max("updated_at"))
    matrix = ItemSimilarity.objects.order_by("pk").values_list("computed_at", flat=True)[:1]
    return models["n"], models["changed"], next(iter(matrix), None)


def snapshots_of(model_ids: Collection[int]) -> dict[int, ModelSnapshot]:
    """Recommender snapshots of ``model_ids`` (no permission check: pass visible ids), from
    the process cache when it is on and fresh."""
    ttl = float(getattr(settings, "HUBGATE_RECS_SNAPSHOT_SECONDS", 0) or 0)
    if ttl <= 0:
        return {s.id: s for s in model_snapshots(Model.objects.filter(pk__in=list(model_ids)))}
    stamp = _stamp()
    with _cache.lock:
        stale = (
            stamp != _cache.stamp
            or time.monotonic() - _cache.built > ttl
            or not _cache.snapshots.keys() >= set(model_ids)
        )
        if stale:
            _cache.snapshots = {s.id: s for s in model_snapshots(Model.objects.all())}
            _cache.stamp, _cache.built = stamp, time.monotonic()
        found = _cache.snapshots
    return {mid: found[mid] for mid in model_ids if mid in found}


def history_weights(rows: Iterable[Interaction], *, own_actor: Hashable) -> dict[int, float]:
    """Feedback weight per model for one person: their own use counts fully, their
    teammates' (and their team's) at half — "teams like yours use this"."""
    weights: dict[int, float] = defaultdict(float)
    for row in rows:
        weights[row.model_id] += row.weight * (1.0 if row.actor == own_actor else 0.5)
    return weights


def user_snapshot(
    user: AbstractBaseUser,
    visible: QuerySet[Model],
    *,
    visible_ids: Collection[int] | None = None,
    snapshots: Mapping[int, ModelSnapshot] | None = None,
) -> UserSnapshot:
    """The user with what they and their teams used, favorited or own, strongest first
    (``visible_ids``: the pks of ``visible``, and ``snapshots`` theirs, when the caller
    already has them)."""
    team_ids = tuple(user.teams.values_list("pk", flat=True))
    # ``user`` may be the request's lazy wrapper: ask the memberships, not its class.
    members = Membership.objects.filter(team_id__in=team_ids).values_list("user_id", flat=True)
    member_ids = {*members, user.pk}
    weights = history_weights(
        [*interactions(user_ids=member_ids), *interactions_of_teams(team_ids)],
        own_actor=("user", user.pk),
    )
    for model_id in visible.filter(owning_team__in=team_ids).values_list("pk", flat=True):
        weights[model_id] += 1.0
    if visible_ids is None:
        visible_ids = set(visible.values_list("pk", flat=True))
    allowed = visible_ids if isinstance(visible_ids, set | frozenset) else set(visible_ids)
    ranked = [
        mid
        for mid, w in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))
        if w > 0 and mid in allowed
    ]
    found = snapshots if snapshots is not None else snapshots_of(ranked[:HISTORY_LIMIT])
    history = [found[mid] for mid in ranked[:HISTORY_LIMIT] if mid in found]
    return UserSnapshot(
        id=user.pk,
        username=user.get_username(),
        team_ids=team_ids,
        history=tuple(history),
        weights=tuple((s.id, round(weights[s.id], 6)) for s in history),
    )


def interactions_of_teams(team_ids: Sequence[int]) -> Iterator[Interaction]:
    """Team-level usage without a person (CI deployments registered for a team)."""
    if not team_ids:
        return
    yield from usage_interactions(team_ids=team_ids, people=False)


# --- asking the recommender plugins ----------------------------------------------------------


def as_recommendations(value: object) -> list[Recommendation]:
    if not isinstance(value, Iterable) or isinstance(value, str | bytes):
        raise TypeError("a recommender must return a sequence of Recommendation")
    items = list(value)
    if not all(isinstance(item, Recommendation) for item in items):
        raise TypeError("a recommender must return a sequence of Recommendation")
    return items


def merge_recommendations(
    results: Sequence[PluginResult[list[Recommendation]]], allowed: set[int], limit: int
) -> list[Recommendation]:
    """Best score per model across plugins, reasons joined; only ``allowed`` models survive."""
    best: dict[int, Recommendation] = {}
    reasons: dict[int, list[str]] = {}
    for result in results:
        for rec in (result.value or [])[:limit]:
            if rec.model_id not in allowed:
                continue
            reasons.setdefault(rec.model_id, []).append(rec.reason)
            if rec.model_id not in best or rec.score > best[rec.model_id].score:
                best[rec.model_id] = rec
    merged = [
        Recommendation(model_id, rec.score, "; ".join(dict.fromkeys(reasons[model_id])))
        for model_id, rec in best.items()
    ]
    merged.sort(key=lambda rec: (-rec.score, rec.model_id))
    return merged[:limit]


def _ask(
    hook: str, candidates: Sequence[ModelSnapshot], limit: int, **subject: object
) -> list[Recommendation]:
    """Every recommender's answer to ``hook``, merged, among ``candidates`` only."""
    results = call_hook(
        hook, validate=as_recommendations, candidates=candidates, limit=limit, **subject
    )
    return merge_recommendations(results, {c.id for c in candidates}, limit)


def _with_models(recs: list[Recommendation]) -> list[tuple[Model, Recommendation]]:
    by_id = with_catalog_details(Model.objects.filter(pk__in=[r.model_id for r in recs])).in_bulk()
    return [(by_id[r.model_id], r) for r in recs if r.model_id in by_id]


def _visible_ids(user: AbstractBaseUser | AnonymousUser) -> list[int]:
    """Pks of the models ``user`` may see, in the catalog's order (most downloaded first)."""
    return list(visible_models(user).values_list("pk", flat=True))


def similar_models(
    *, model: Model, user: AbstractBaseUser | AnonymousUser, limit: int = 6
) -> list[tuple[Model, Recommendation]]:
    """Models like ``model`` that ``user`` may see, as the recommender plugins rank them."""
    ids = [mid for mid in _visible_ids(user) if mid != model.pk]
    snaps = snapshots_of([model.pk, *ids])
    candidates = [snaps[mid] for mid in ids if mid in snaps]
    return _with_models(_ask("hubgate_recommend_similar", candidates, limit, model=snaps[model.pk]))


def recommended_for_user(
    *, user: AbstractBaseUser, limit: int = 6
) -> list[tuple[Model, Recommendation]]:
    """Models for ``user`` from what they and their teams use, ranked by the recommenders;
    with no history the trending and popularity recommenders answer (cold start)."""
    visible = visible_models(user)
    ids = list(visible.values_list("pk", flat=True))
    snaps = snapshots_of(ids)
    snapshot = user_snapshot(user, visible, visible_ids=set(ids), snapshots=snaps)
    used = {m.id for m in snapshot.history}
    candidates = [snaps[mid] for mid in ids if mid not in used and mid in snaps]
    return _with_models(_ask("hubgate_recommend_for_user", candidates, limit, user=snapshot))


def compatible_models(
    *,
    checkpoint: Model,
    user: AbstractBaseUser | AnonymousUser,
    limit: int = 20,
    types: Iterable[str] | None = None,
) -> list[tuple[Model, Recommendation]]:
    """Add-ons ``user`` may see that load on ``checkpoint``, ranked by the recommenders.

    Compatibility is decided here, by the checker, not by the plugins: the plugins only
    order the add-ons that fit, and every reason starts with why it fits.
    """
    wanted = set(types or ADDON_TYPES) & ADDON_TYPES
    ids = [mid for mid in _visible_ids(user) if mid != checkpoint.pk]
    snaps = snapshots_of([checkpoint.pk, *ids])
    target = snaps[checkpoint.pk]
    fits: dict[int, str] = {}
    candidates = []
    for snap in (snaps[mid] for mid in ids if mid in snaps):
        if snap.type not in wanted:
            continue
        verdict = check(
            addon_type=snap.type,
            addon_base_models=snap.base_models,
            checkpoint_type=target.type,
            checkpoint_base_models=target.base_models,
            addon_name=snap.name,
            checkpoint_name=target.name,
        )
        if verdict.compatible:
            fits[snap.id] = verdict.reason
            candidates.append(snap)
    merged = _ask("hubgate_recommend_similar", candidates, limit, model=target)
    # Every compatible add-on is listed even when no plugin ranked it, after the ranked ones.
    ranked = {r.model_id for r in merged}
    rest = sorted(
        (c for c in candidates if c.id not in ranked),
        key=lambda c: (-(c.quality or 0.0), -c.download_count, c.id),
    )
    merged += [Recommendation(c.id, 0.0, "") for c in rest][: max(0, limit - len(merged))]
    explained = [
        Recommendation(r.model_id, r.score, fits[r.model_id] + (f" {r.reason}" if r.reason else ""))
        for r in merged
    ]
    return _with_models(explained)


def trending_models(
    *, user: AbstractBaseUser | AnonymousUser, limit: int = 10
) -> list[tuple[Model, Recommendation]]:
    """What is hot in the company right now among the models ``user`` may see, by the
    community app's time-decayed trend (empty when that app is not installed)."""
    visible = list(visible_models(user).values_list("pk", flat=True))
    trend = trend_by_model(visible)
    ranked = sorted((mid for mid, t in trend.items() if t > 0), key=lambda m: (-trend[m], m))
    return _with_models(
        [Recommendation(mid, trend[mid], "Trending in your company") for mid in ranked[:limit]]
    )
