"""Search: one entry point for the portal, the REST API, the CivitAI ``query`` and the CLI.

``search`` asks every search backend (the ``hubgate_search_models`` hook), fuses their ranked
lists by reciprocal rank fusion, keeps only what the user may see and what passes the filters
(whatever a backend returned), boosts what the user's teams use and favor, sorts and pages.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

import numpy as np
from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.db.models import Max, Q, QuerySet
from django.db.models.expressions import RawSQL

from governance.catalog.models import (
    COMMERCIAL_USE_FIELDS,
    CommercialUse,
    Model,
    ModelType,
    ModelVersion,
    NsfwLevel,
    VersionState,
)
from governance.catalog.selectors import visible_models
from governance.errors import HubgateError, ValidationFailed
from governance.hookspecs import SearchMatch, SearchRequest
from governance.plugins import call_hook

from . import visual
from .models import ImageHash, ModelEmbedding

logger = logging.getLogger(__name__)

SearchMode = Literal["lexical", "semantic", "hybrid"]
MODES: tuple[str, ...] = ("lexical", "semantic", "hybrid")
SORTS: dict[str, tuple[str, ...]] = {
    "relevance": (),
    "downloads": ("-download_count", "-rating", "pk"),
    "rating": ("-rating", "-rating_count", "pk"),
    "newest": ("-created_at", "-pk"),
}
#: Reciprocal rank fusion constant (Cormack et al., 2009): 60 is the usual choice.
RRF_K = 60
#: How much a model the user's teams already use (or favor) gains, in ranks at the top.
PERSONAL_BOOST = 0.5 / (RRF_K + 1)
MAX_LIMIT = 100
#: The most matches asked of each backend; sorting by a column ranks within these.
MAX_CANDIDATES = 1000


class SearchUnavailable(HubgateError):
    status = 503
    code = "search_unavailable"
    title = "Search unavailable"


@dataclass(frozen=True)
class SearchParams(SearchRequest):
    """A search as the user asked for it: what backends see (the words, the mode, the
    filters) plus sort and page; build from a request with :meth:`from_query_dict`."""

    query: str = ""
    sort: str = "relevance"
    personalize: bool = True
    limit: int = 20
    offset: int = 0

    def __post_init__(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.mode not in MODES:
            errors["mode"] = [f"Must be one of {', '.join(MODES)}."]
        if self.sort not in SORTS:
            errors["sort"] = [f"Must be one of {', '.join(SORTS)}."]
        bad_types = set(self.types) - set(ModelType.values)
        if bad_types:
            errors["type"] = [f"Unknown model type(s): {', '.join(sorted(bad_types))}."]
        bad_uses = set(self.commercial_use) - set(CommercialUse.values)
        if bad_uses:
            errors["commercial_use"] = [
                f"Unknown value(s) {', '.join(sorted(bad_uses))}; "
                f"use {', '.join(CommercialUse.values)}."
            ]
        bad_states = set(self.states) - set(VersionState.values)
        if bad_states:
            errors["state"] = [f"Unknown state(s): {', '.join(sorted(bad_states))}."]
        if not 1 <= self.limit <= MAX_LIMIT:
            errors["limit"] = [f"Must be between 1 and {MAX_LIMIT}."]
        if self.offset < 0 or self.offset + min(self.limit, MAX_LIMIT) > MAX_CANDIDATES:
            errors["offset"] = [f"Results go no deeper than {MAX_CANDIDATES}."]
        if self.max_nsfw_level is not None and self.max_nsfw_level < 0:
            errors["max_nsfw_level"] = ["Must not be negative."]
        if len(self.query) > 500:
            errors["q"] = ["At most 500 characters."]
        texts = [self.query, self.team or "", *self.types, *self.base_models, *self.tags]
        if any("\x00" in text for text in texts):
            errors["q"] = ["NUL characters are not allowed."]
        if errors:
            raise ValidationFailed("Invalid search.", errors=errors)
        object.__setattr__(self, "tags", tuple(t.strip().lower() for t in self.tags if t.strip()))

    @classmethod
    def from_query_dict(cls, data: Mapping[str, Any], **overrides: Any) -> SearchParams:
        """Parse GET parameters (a QueryDict or a plain mapping) into validated params."""

        def many(name: str) -> tuple[str, ...]:
            values = data.getlist(name) if hasattr(data, "getlist") else data.get(name) or []
            if isinstance(values, str):
                values = [values]
            return tuple(v for value in values for v in str(value).split(",") if v)

        def integer(name: str, default: int | None) -> int | None:
            raw = data.get(name)
            if raw in (None, ""):
                return default
            try:
                return int(raw)
            except (TypeError, ValueError):
                raise ValidationFailed(
                    "Invalid search.", errors={name: ["Must be an integer."]}
                ) from None

        limit = integer("limit", 20) or 20
        page = integer("page", None)
        offset = (page - 1) * limit if page and page > 0 else integer("offset", 0) or 0
        values = {
            "query": str(data.get("q") or data.get("query") or "").strip(),
            "mode": data.get("mode") or "hybrid",
            "types": many("type"),
            "base_models": many("base_model"),
            "tags": many("tag"),
            "commercial_use": many("commercial_use"),
            "max_nsfw_level": integer("max_nsfw_level", None),
            "states": many("state"),
            "team": data.get("team") or None,
            "sort": data.get("sort") or "relevance",
            "personalize": str(data.get("personalize", "1")).lower() not in {"0", "false", "no"},
            "limit": limit,
            "offset": offset,
        }
        values.update(overrides)
        return cls(**values)

    def request(self) -> SearchRequest:
        """What backends receive: the words, the mode and the filters, nothing of the user."""
        return SearchRequest(**{f.name: getattr(self, f.name) for f in fields(SearchRequest)})


@dataclass(frozen=True)
class SearchHit:
    model: Model
    score: float
    #: Which kinds of evidence found it (``lexical``, ``semantic``, ``typo``, ``personal``…).
    sources: tuple[str, ...]


@dataclass(frozen=True)
class SearchResults:
    hits: list[SearchHit]
    #: How many models matched (the backends' candidates that passed visibility and filters).
    total: int
    params: SearchParams
    #: Plain-language notes: a backend that failed, semantic search unavailable, …
    warnings: list[str] = field(default_factory=list)

    @property
    def has_next(self) -> bool:
        return self.params.offset + len(self.hits) < self.total


ID_LIST_LIMIT = 300


def id_set(ids: list[int]) -> list[int] | RawSQL:
    """The right-hand side of an ``__in`` lookup on ids: past a few hundred, one array
    parameter on PostgreSQL (a thousand placeholders cost more to build than the query takes
    to run); below that a plain list, which lets the planner probe the primary key."""
    if connection.vendor == "postgresql" and len(ids) > ID_LIST_LIMIT:
        return RawSQL("SELECT unnest(%s::bigint[])", (list(ids),))
    return list(ids)


def filter_models(
    models: QuerySet[Model], request: SearchRequest, *, among: list[int] | None = None
) -> QuerySet[Model]:
    """``models`` narrowed by the filters of a search (no visibility rule: callers add it);
    ``among`` restricts to these ids first (lets PostgreSQL probe versions by model id)."""
    if among is not None:
        among = id_set(among)
        models = models.filter(pk__in=among)
    if request.types:
        models = models.filter(type__in=request.types)
    for tag in request.tags:
        models = models.filter(tags__name=tag)
    for use in request.commercial_use:
        models = models.filter(**{COMMERCIAL_USE_FIELDS[CommercialUse(use)]: True})
    if request.max_nsfw_level is not None:
        models = models.filter(nsfw_level__lte=request.max_nsfw_level)
        if request.max_nsfw_level < NsfwLevel.R:  # as effective_nsfw_level: flagged is R
            models = models.filter(nsfw=False)
    if request.team:
        models = models.filter(owning_team__slug=request.team)
    if request.base_models or request.states:
        versions = ModelVersion.objects.all()
        if among is not None:
            versions = versions.filter(model_id__in=among)
        if request.base_models:
            versions = versions.filter(base_model__in=request.base_models)
        if request.states:
            versions = versions.filter(state__in=request.states)
        models = models.filter(pk__in=versions.values("model_id"))
    return models


def has_filters(request: SearchRequest) -> bool:
    """Whether the search narrows by anything besides its words."""
    return bool(
        request.types
        or request.base_models
        or request.tags
        or request.commercial_use
        or request.states
        or request.team
        or request.max_nsfw_level is not None
    )


def _validate_matches(value: Any) -> list[SearchMatch]:
    matches = list(value)
    for match in matches:
        if not isinstance(match, SearchMatch):
            raise TypeError(f"expected SearchMatch values, got {type(match).__name__}")
    return matches


def fuse(rankings: Iterable[list[SearchMatch]]) -> dict[int, tuple[float, set[str]]]:
    """Reciprocal rank fusion: score(model) = sum over lists of 1 / (RRF_K + rank)."""
    fused: dict[int, tuple[float, set[str]]] = {}
    for ranking in rankings:
        seen: set[int] = set()
        for rank, match in enumerate(ranking, start=1):
            if match.model_id in seen:
                continue
            seen.add(match.model_id)
            score, kinds = fused.get(match.model_id, (0.0, set()))
            kinds.add(match.kind)
            fused[match.model_id] = (score + 1.0 / (RRF_K + rank), kinds)
    return fused


def team_model_ids(user: AbstractBaseUser | AnonymousUser) -> set[int]:
    """Models the user's teams have used (usage events) or favored (community favorites)."""
    if not user.is_authenticated:
        return set()
    from governance.usage.models import UsageEvent

    teams = user.teams.values("pk")
    ids = set(
        UsageEvent.objects.filter(team__in=teams)
        .order_by()  # no default ordering: it would join the DISTINCT
        .values_list("version__model_id", flat=True)
        .distinct()
    )
    try:
        favorite = apps.get_model("community", "Favorite")
    except LookupError:  # the community app is optional
        return ids
    members = Q(user__memberships__team__in=teams) | Q(user=user)
    ids.update(
        favorite.objects.filter(members).order_by().values_list("model_id", flat=True).distinct()
    )
    return ids


def search(*, user: AbstractBaseUser | AnonymousUser, params: SearchParams) -> SearchResults:
    """Models matching ``params`` that ``user`` may see, best first, one page of them."""
    request = params.request()
    allowed = filter_models(visible_models(user), request)
    warnings: list[str] = []
    if not params.query:
        order = SORTS[params.sort] or SORTS["downloads"]
        total = allowed.count()
        page = list(
            allowed.select_related("creator").order_by(*order)[
                params.offset : params.offset + params.limit
            ]
        )
        return SearchResults([SearchHit(m, 0.0, ()) for m in page], total, params, warnings)

    # Relevance needs a few pages per backend; a column sort ranks every match it can get.
    wanted = max(100, 2 * (params.offset + params.limit))
    if params.sort != "relevance":
        wanted = MAX_CANDIDATES
    results = call_hook(
        "hubgate_search_models", request=request, limit=wanted, validate=_validate_matches
    )
    for failed in (r for r in results if not r.ok):
        warnings.append(f"Search backend {failed.plugin} failed: {failed.error}")
    answered = [r for r in results if r.ok]
    if results and not answered:
        raise SearchUnavailable("Every search backend failed: " + "; ".join(warnings))
    if params.mode in ("semantic", "hybrid") and not any(
        m.kind == "semantic" for r in answered for m in r.value or []
    ):
        reason = semantic_unavailable_reason()
        if reason:
            warnings.append(f"Semantic search is off ({reason})")
    fused = fuse(r.value or [] for r in answered)
    # Whatever a backend returned, only visible models that pass the filters survive.
    candidates = filter_models(visible_models(user), request, among=list(fused))
    ids = set(candidates.values_list("pk", flat=True))
    fused = {pk: value for pk, value in fused.items() if pk in ids}
    if params.personalize and fused:
        for pk in team_model_ids(user) & set(fused):
            score, kinds = fused[pk]
            fused[pk] = (score + PERSONAL_BOOST, kinds | {"personal"})
    if params.sort == "relevance":
        ranked = sorted(fused, key=lambda pk: (-fused[pk][0], pk))
        page_ids = ranked[params.offset : params.offset + params.limit]
        by_id = Model.objects.select_related("creator").in_bulk(page_ids)
        page = [by_id[pk] for pk in page_ids if pk in by_id]
    else:
        page = list(
            Model.objects.filter(pk__in=list(fused))
            .select_related("creator")
            .order_by(*SORTS[params.sort])[params.offset : params.offset + params.limit]
        )
    hits = [SearchHit(m, fused[m.pk][0], tuple(sorted(fused[m.pk][1]))) for m in page]
    return SearchResults(hits, len(fused), params, warnings)


def filter_by_query(models: QuerySet[Model], query: str) -> QuerySet[Model]:
    """``models`` narrowed to those the lexical search backends match for ``query``.

    For callers with their own visibility rules and order (the CivitAI-compatible API):
    ``models`` must already be the caller's permitted models; backends cannot widen it.
    """
    if "\x00" in query or len(query) > 500:
        raise ValidationFailed(
            "Invalid search.", errors={"search": ["At most 500 characters, no NUL characters."]}
        )
    request = SearchRequest(query=query, mode="lexical")
    results = call_hook(
        "hubgate_search_models", request=request, limit=MAX_CANDIDATES, validate=_validate_matches
    )
    if results and not any(r.ok for r in results):
        raise SearchUnavailable("Every search backend failed.")
    fused = fuse(r.value or [] for r in results if r.ok)
    return models.filter(pk__in=id_set(list(fused)))


def search_model_ids(
    *, user: AbstractBaseUser | AnonymousUser, query: str, mode: SearchMode = "hybrid"
) -> list[int]:
    """Ranked ids of every visible model matching ``query`` (up to the candidate bound)."""
    params = SearchParams(query=query, mode=mode, limit=MAX_LIMIT)
    ranked: list[int] = []
    while True:
        results = search(user=user, params=params)
        ranked.extend(hit.model.pk for hit in results.hits)
        if not results.has_next or params.offset + params.limit >= MAX_CANDIDATES:
            return ranked
        params = replace(params, offset=params.offset + params.limit)


# --- Semantic index, shared by the semantic backend and the recommenders ---------------------


class _EmbeddingMatrix:
    """All stored embeddings as one matrix, reloaded only when the table changed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: Any = None
        self.ids = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, 384), dtype=np.float32)

    def current(self) -> tuple[np.ndarray, np.ndarray]:
        # The newest write is the stamp (an index-only lookup; a count would scan the table).
        # Rows of deleted models may linger until the next write: harmless, search drops
        # every id that is not a visible model.
        stamp = ModelEmbedding.objects.aggregate(last=Max("updated_at"))["last"]
        with self._lock:
            if stamp != self._stamp or stamp is None:
                rows = list(ModelEmbedding.objects.order_by("pk").values_list("pk", "vector"))
                self.ids = np.array([pk for pk, _ in rows], dtype=np.int64)
                self.matrix = (
                    np.vstack([np.frombuffer(bytes(v), dtype=np.float32) for _, v in rows])
                    if rows
                    else np.zeros((0, 384), dtype=np.float32)
                )
                self._stamp = stamp
            return self.ids, self.matrix


embedding_matrix = _EmbeddingMatrix()


def nearest_models(vector: np.ndarray, *, limit: int) -> list[tuple[int, float]]:
    """Model ids by cosine similarity to ``vector`` (L2-normalised), best first."""
    ids, matrix = embedding_matrix.current()
    if not len(ids):
        return []
    from .embeddings import single_blas_thread

    with single_blas_thread():
        scores = matrix @ vector.astype(np.float32)
    k = min(limit, len(ids))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(ids[i]), float(scores[i])) for i in top]


def model_embeddings(model_ids: Iterable[int]) -> dict[int, np.ndarray]:
    """Stored sentence embeddings (float32, 384-d, L2-normalised) of these models, if any."""
    return {
        pk: np.frombuffer(bytes(v), dtype=np.float32)
        for pk, v in ModelEmbedding.objects.filter(pk__in=list(model_ids)).values_list(
            "pk", "vector"
        )
    }


def semantic_unavailable_reason() -> str:
    """Why semantic search cannot run right now, or "" when it can."""
    from .embeddings import EmbeddingModelMissing, model_dir

    try:
        model_dir()
    except EmbeddingModelMissing as exc:
        return exc.detail
    if not ModelEmbedding.objects.exists():
        return "No model has been embedded yet: run `manage.py search --reindex`."
    return ""


# --- Visual search ---------------------------------------------------------------------------


@dataclass(frozen=True)
class VisualHit:
    model: Model
    #: Bits that differ between the two 64-bit hashes (0 = identical look).
    distance: int
    image_id: int


def similar_images(
    *,
    user: AbstractBaseUser | AnonymousUser,
    image_bytes: bytes,
    limit: int = 20,
    max_distance: int = 16,
) -> list[VisualHit]:
    """Visible models with a preview that looks like the uploaded image, closest first."""
    target = visual.dhash_of_upload(image_bytes)
    best: dict[int, tuple[int, int]] = {}
    visible = visible_models(user)
    for image_id, model_id, value in ImageHash.objects.filter(model__in=visible).values_list(
        "image_id", "model_id", "dhash"
    ):
        distance = visual.hamming(target, value)
        if distance <= max_distance and (model_id not in best or distance < best[model_id][0]):
            best[model_id] = (distance, image_id)
    ranked = sorted(best, key=lambda pk: (best[pk][0], pk))[:limit]
    by_id = Model.objects.select_related("creator").in_bulk(ranked)
    return [VisualHit(by_id[pk], best[pk][0], best[pk][1]) for pk in ranked if pk in by_id]
