"""What the workspace shows: the four panels' data, read with the user's permissions.

The portal owns no search and no recommender: Discovery's results come from
``governance.discovery.selectors.search``, recommendations and quality from
``governance.recommendations``; this module only asks them for what a panel shows.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import QueryDict

from governance.accounts.models import Membership
from governance.approvals import selectors as approval_selectors
from governance.approvals.models import ModelRequest, Review
from governance.catalog import selectors as catalog
from governance.catalog.models import Model, ModelVersion, NsfwLevel
from governance.community.selectors import is_favorite
from governance.connectors.models import ConnectorJob
from governance.connectors.selectors import jobs_visible_to
from governance.discovery import selectors as discovery
from governance.errors import ValidationFailed
from governance.licensing.selectors import (
    effective_terms_for,
    intended_uses_visible_to,
    license_verdict,
)
from governance.licensing.terms import TERM_LABELS
from governance.lifecycle.selectors import UsageVerdict, usage_verdict
from governance.recommendations import selectors as recs
from governance.scanning.models import FileScan
from governance.scanning.selectors import scans_visible_to
from governance.scoring.quality import composite_quality_for_versions

PAGE_SIZE = 12
SORTS = list(discovery.SORTS)
SEARCH_UNAVAILABLE = (
    "Search is unavailable right now (no search backend answered). "
    "Try again in a moment; the administrators have been told."
)
logger = logging.getLogger(__name__)
RECOMMENDATION_KINDS = {
    "for-you": "For you",
    "similar": "Similar",
    "trending": "Trending",
    "new": "New",
}
_PERMISSION_WORDS = {
    "allowed": "allowed",
    "conditional": "allowed, on conditions",
    "review": "unclear, legal must read it",
    "prohibited": "not allowed",
}


@dataclass
class DiscoveryResults:
    """One page of Discovery's results, as the results fragment shows them."""

    models: list[Model]
    total: int
    query: str
    include_nsfw: bool
    sort: str
    page: int = 1
    pages: int = 1
    #: What was wrong with the search as asked (shown as an alert).
    errors: list[str] = field(default_factory=list)
    #: The search's own notes: a backend that failed, semantic search off, …
    notes: list[str] = field(default_factory=list)
    querystring: str = ""

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _with_details(models: list[Model]) -> list[Model]:
    """``models`` in their order, with what a result card shows prefetched."""
    loaded = catalog.with_catalog_details(Model.objects.filter(pk__in=[m.pk for m in models]))
    by_id = loaded.in_bulk()
    return [by_id[m.pk] for m in models if m.pk in by_id]


def discovery_results(*, user: AbstractBaseUser, params: QueryDict) -> DiscoveryResults:
    """One page of the search the Discovery form describes; NSFW (R and above, as CivitAI
    rates it) stays hidden unless asked for."""
    include_nsfw = params.get("nsfw") == "1"
    rest = params.copy()
    rest.pop("page", None)
    forwarded = params.copy()
    forwarded.pop("nsfw", None)
    forwarded["limit"] = str(PAGE_SIZE)
    if not include_nsfw:
        forwarded["max_nsfw_level"] = str(NsfwLevel.PG13)
    query = params.get("q", "").strip()
    sort = params.get("sort") if params.get("sort") in SORTS else "relevance"
    try:
        search_params = discovery.SearchParams.from_query_dict(forwarded)
    except ValidationFailed as exc:
        errors = [
            f"{name}: {' '.join(map(str, problems))}"
            for name, problems in (exc.errors or {}).items()
        ] or [exc.detail]
        return DiscoveryResults(
            [], 0, query, include_nsfw, sort, errors=errors, querystring=rest.urlencode()
        )
    try:
        found = discovery.search(user=user, params=search_params)
    except discovery.SearchUnavailable:
        logger.exception("Discovery search failed in every backend")
        return DiscoveryResults(
            [],
            0,
            query,
            include_nsfw,
            sort,
            errors=[SEARCH_UNAVAILABLE],
            querystring=rest.urlencode(),
        )
    return DiscoveryResults(
        models=_with_details([hit.model for hit in found.hits]),
        total=found.total,
        query=query,
        include_nsfw=include_nsfw,
        sort=search_params.sort,
        page=search_params.offset // PAGE_SIZE + 1,
        pages=max(1, math.ceil(found.total / PAGE_SIZE)),
        notes=list(found.warnings),
        querystring=rest.urlencode(),
    )


def _safe_for_work(model: Model) -> bool:
    return not model.nsfw and model.nsfw_level <= NsfwLevel.PG13


def recommendations(
    *, user: AbstractBaseUser, kind: str, model: Model | None = None, limit: int = 6
) -> list[tuple[Model, str]]:
    """Models to suggest, each with the reason in words: for you, similar, trending, new.
    Like Discovery's default, nothing NSFW."""
    if kind == "new":
        models = (
            catalog.visible_models(user)
            .filter(nsfw=False, nsfw_level__lte=NsfwLevel.PG13)
            .order_by("-created_at", "-id")[:limit]
        )
        return [(m, f"Added {m.created_at:%Y-%m-%d}") for m in catalog.with_catalog_details(models)]
    # Ask for more than shown: the NSFW ones are left out afterwards.
    wanted = 2 * limit
    if kind == "similar" and model is not None:
        found = recs.similar_models(model=model, user=user, limit=wanted)
    elif kind == "trending":
        found = recs.trending_models(user=user, limit=wanted)
    else:
        found = recs.recommended_for_user(user=user, limit=wanted)
    return [(m, rec.reason) for m, rec in found if _safe_for_work(m)][:limit]


@dataclass(frozen=True)
class TermLine:
    label: str
    permission: str
    words: str
    conditions: tuple[str, ...]


def license_lines(version: ModelVersion) -> tuple[list[TermLine], list[str]]:
    """``version``'s effective license, one plain sentence per right, and what is unknown."""
    terms = effective_terms_for(version)
    lines = [
        TermLine(
            TERM_LABELS.get(name, name),
            term.permission.value,
            _PERMISSION_WORDS.get(term.permission.value, term.permission.value),
            tuple(term.conditions),
        )
        for name, term in terms.terms.items()
    ]
    return lines, list(terms.unknown)


@dataclass
class Gallery:
    model: Model
    versions: list[ModelVersion]
    usage: dict[int, UsageVerdict]
    license: list[TermLine]
    license_unknown: list[str]
    quality: dict[int, Any]
    can_upload: bool
    is_favorite: bool


def gallery(*, user: AbstractBaseUser, pk: int) -> Gallery | None:
    """One visible model with its versions, files, scans, usage verdicts and license terms."""
    model = catalog.with_catalog_details(catalog.visible_models(user)).filter(pk=pk).first()
    if model is None:
        return None
    versions = list(
        model.versions.all().prefetch_related("scores", "files__blob__current_scan", "images")
    )
    usage = {v.pk: usage_verdict(user, v) for v in versions}
    lines, unknown = license_lines(versions[0]) if versions else ([], [])
    quality = composite_quality_for_versions([v.pk for v in versions])
    return Gallery(
        model,
        versions,
        usage,
        lines,
        unknown,
        quality,
        catalog.can_change_model(user, model),
        is_favorite(user, model),
    )


def my_requests(user: AbstractBaseUser, *, page: Any = 1, per_page: int = 20) -> Page:
    """One page of the requests of the user's teams, newest first, with reviews and gate
    runs; an open one carries ``blockers`` (why its gates fail now) and ``can_withdraw``."""
    mine = (
        approval_selectors.requests_visible_to(user)
        .filter(team__in=user.memberships.values("team"))
        .select_related("policy")
        .prefetch_related(
            Prefetch("reviews", queryset=Review.objects.select_related("reviewer", "role")),
            "gate_runs",
        )
        .annotate(approvals=Count("reviews", filter=Q(reviews__decision="approve"), distinct=True))
        .order_by("-created_at", "-id")
    )
    requests = Paginator(mine, per_page).get_page(page)
    for request in requests:
        is_open = request.state in (ModelRequest.State.GATING, ModelRequest.State.IN_REVIEW)
        request.blockers = approval_selectors.gate_blockers(request) if is_open else []
        request.can_withdraw = is_open and (user.is_staff or request.requester_id == user.pk)
    return requests


def reviewer_queue(user: AbstractBaseUser, *, limit: int = 20) -> list[ModelRequest]:
    """Requests waiting for this reviewer's decision, each with ``blockers``: why its gates
    fail now (approve is not offered while there are any)."""
    queue = list(
        approval_selectors.review_queue(user)
        .select_related("policy")
        .prefetch_related("gate_runs")[:limit]
    )
    waiver = approval_selectors.can_waive(user) if queue else False
    for request in queue:
        report = approval_selectors.gate_report(request)
        request.blockers = [item.reason for item in report.blocking()]
        # What a waiving reviewer may act on here: waivable failing findings, live waivers.
        request.waivable, request.waived = [], []
        if waiver:
            request.waivable = [i for i in report.blocking() if i.waivable and i.finding_id]
            request.waived = [i for i in report.items if i.status == "waived" and i.waiver_id]
    return queue


def active_jobs(user: AbstractBaseUser, *, limit: int = 5) -> QuerySet[ConnectorJob]:
    """The user's connector jobs still running, or finished in the last few."""
    return jobs_visible_to(user).order_by("-created_at", "-id")[:limit]


def active_scans(user: AbstractBaseUser, *, limit: int = 5) -> list[FileScan]:
    """Scans in progress the user may see."""
    in_progress = [FileScan.Status.QUEUED, FileScan.Status.RUNNING]
    # Usually nothing is scanning: one cheap query spares the visibility query.
    if not FileScan.objects.filter(status__in=in_progress).exists():
        return []
    return list(
        scans_visible_to(user).filter(status__in=in_progress).order_by("-queued_at", "-id")[:limit]
    )


def job(user: AbstractBaseUser, pk: int) -> ConnectorJob | None:
    return jobs_visible_to(user).filter(pk=pk).first()


def scan(user: AbstractBaseUser, pk: int) -> FileScan | None:
    return scans_visible_to(user).filter(pk=pk).first()


def my_memberships(user: AbstractBaseUser) -> list[Membership]:
    """The user's teams with their role there (and whether the IdP granted it)."""
    return list(user.memberships.select_related("team").order_by("team__name"))


def request_license_warning(*, user: AbstractBaseUser, version: ModelVersion, slug: str) -> str:
    """What the request form warns about when ``version``'s license does not allow the
    intended use ``slug`` ("" when it does, or for a use the user may not name): the license
    gate would fail the request."""
    profile = intended_uses_visible_to(user).filter(slug=slug, active=True).first()
    if profile is None:
        return ""
    status = license_verdict(version=version, profile=profile)
    if status.passes:
        return ""
    return f"The license does not clearly allow {profile.name}: {status.summary()}"
