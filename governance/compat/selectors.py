"""What the CivitAI-compatible API may show a caller, and CivitAI's list filters on it.

A caller sees approved or deprecated versions — never drafts, rejected, quarantined or
retired ones, nor a version with a quarantined file:

- staff: all of them;
- a signed-in person or API key: the versions one of their teams may use (the permission
  module's ``catalog.use_modelversion``, granted when a request is approved), of models not
  taken down;
- anonymous callers, and everyone else too when ``HUBGATE_COMPAT_ANONYMOUS_READ`` is on: the
  company-wide approved catalog (company-visible models not taken down).

A model is listed when it has at least one such version, and lists only those versions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from governance.accounts import permissions
from governance.catalog.models import (
    COMMERCIAL_USE_FIELDS,
    CommercialUse,
    Creator,
    Hub,
    Image,
    Model,
    ModelFile,
    ModelMode,
    ModelType,
    ModelVersion,
    Tag,
    VersionState,
    Visibility,
)
from governance.discovery.selectors import filter_by_query
from governance.scanning.models import Verdict

from . import ids

SERVED_STATES = (VersionState.APPROVED, VersionState.DEPRECATED)
#: CivitAI's public browsing levels (PG, PG-13): what ``nsfw`` absent or false shows.
SFW_LEVELS = 1 | 2


@dataclass
class Caller:
    user: AbstractBaseUser | AnonymousUser
    #: HUBGATE_COMPAT_ANONYMOUS_READ: the company-wide approved catalog is open to everyone.
    company_catalog: bool

    @cached_property
    def quarantined(self) -> list[int]:
        """Versions with a quarantined file: rare, so a literal list the planner can read
        (an anti-join estimate over the empty-ish blob tables misleads PostgreSQL badly)."""
        return list(
            ModelFile.objects.filter(blob__current_scan__verdict=Verdict.QUARANTINED)
            .order_by()
            .values_list("version_id", flat=True)
            .distinct()
        )


def _approved(quarantined: list[int]) -> QuerySet[ModelVersion]:
    versions = ModelVersion.objects.filter(state__in=SERVED_STATES)
    return versions.exclude(pk__in=quarantined) if quarantined else versions


def usable_versions(user: AbstractBaseUser) -> Q:
    """A filter on versions: those ``user``'s teams (or ``user`` directly) may use (the
    permission module's ``catalog.use_modelversion``, as one indexed IN)."""
    return permissions.granted_filter(user, permissions.USE_VERSION, ModelVersion)


def servable_versions(caller: Caller) -> QuerySet[ModelVersion]:
    """The versions ``caller`` may see through the compatible API."""
    versions = _approved(caller.quarantined)
    user = caller.user
    if user.is_authenticated and user.is_staff:
        return versions
    company = Q(model__visibility=Visibility.COMPANY)
    if not user.is_authenticated:
        if not caller.company_catalog:
            return versions.none()
        return versions.filter(company).exclude(model__mode=ModelMode.TAKEN_DOWN)
    allowed = usable_versions(user)
    if caller.company_catalog:
        allowed |= company
    return versions.filter(allowed).exclude(model__mode=ModelMode.TAKEN_DOWN)


def page_versions(caller: Caller, models: list[Mapping[str, Any]]) -> QuerySet[ModelVersion]:
    """The versions to list for ``models``, rows already taken from ``servable_models``: the
    model-level conditions hold, so only the version-level ones are left (no join)."""
    versions = _approved(caller.quarantined).filter(model_id__in=[m["id"] for m in models])
    user = caller.user
    if not user.is_authenticated or user.is_staff:
        return versions
    allowed = usable_versions(user)
    if caller.company_catalog:
        company = [m["id"] for m in models if m["visibility"] == Visibility.COMPANY]
        allowed |= Q(model_id__in=company)
    return versions.filter(allowed)


def servable_models(caller: Caller) -> QuerySet[Model]:
    """Models with at least one version ``caller`` may see.

    Written model-first — conditions on the model row and one EXISTS on its versions, at
    the top level of the WHERE — so that PostgreSQL walks a sort index and stops after a
    page instead of joining every version (an EXISTS under an OR becomes a scan of them all).
    """
    approved = Exists(_approved(caller.quarantined).filter(model_id=OuterRef("pk")))
    user = caller.user
    if user.is_authenticated and user.is_staff:
        return Model.objects.filter(approved)
    models = Model.objects.exclude(mode=ModelMode.TAKEN_DOWN).filter(approved)
    company = Q(visibility=Visibility.COMPANY)
    if not user.is_authenticated:
        return models.filter(company) if caller.company_catalog else models.none()
    # A model with a usable version has an approved one, so the EXISTS can stay outside.
    usable = _approved(caller.quarantined).filter(usable_versions(user))
    usable_models = Q(pk__in=usable.values("model_id"))
    return models.filter(usable_models | company if caller.company_catalog else usable_models)


def sfw_only(models: QuerySet[Model]) -> QuerySet[Model]:
    """CivitAI's default browsing level: models with something PG or PG-13 to show."""
    return models.alias(_sfw=F("nsfw_level").bitand(SFW_LEVELS)).exclude(_sfw=0)


def image_is_sfw(level: int) -> bool:
    return bool(level & SFW_LEVELS) and not level & ~SFW_LEVELS


#: CivitAI's ``sort`` values and the column each sorts by (descending, newest-first ids).
MODEL_SORTS: dict[str, tuple[str, bool]] = {
    "Highest Rated": ("thumbs_up_count", True),
    "Most Liked": ("thumbs_up_count", True),
    "Most Downloaded": ("download_count", True),
    "Most Discussed": ("comment_count", True),
    "Most Collected": ("favorite_count", True),
    "Most Images": ("image_count", True),
    "Newest": ("id", True),
    "Oldest": ("id", False),
}


def filter_models(
    models: QuerySet[Model],
    versions: QuerySet[ModelVersion],
    *,
    query: str = "",
    tag: str = "",
    username: str = "",
    types: list[str] | None = None,
    base_models: list[str] | None = None,
    commercial: list[str] | None = None,
    allow_derivatives: bool | None = None,
    allow_no_credit: bool | None = None,
    allow_different_license: bool | None = None,
    served_ids: list[int] | None = None,
    nsfw: bool = False,
    period: str = "AllTime",
) -> QuerySet[Model]:
    """CivitAI's ``/api/v1/models`` filters.

    ``period`` (Year, Month, Week, Day): the hub reports all-time counters only, so a period
    keeps the models with a visible version published within it (CivitAI's "published"
    period mode), and the sort is over their all-time counters.
    """
    if since := period_start(period):
        recent = Q(published_at__gte=since) | Q(published_at__isnull=True, created_at__gte=since)
        models = models.filter(Exists(versions.filter(recent, model_id=OuterRef("pk"))))
    if served_ids is not None:
        hub_ids, local = ids.split(served_ids)
        models = models.filter(Q(hub=Hub.CIVITAI, external_id__in=hub_ids) | Q(pk__in=local))
    if types:
        models = models.filter(type__in=types)
    if username:
        models = models.filter(creator__username__iexact=username)
    if tag:
        through = Model.tags.through.objects.filter(model_id=OuterRef("pk"), tag__name=tag.lower())
        models = models.filter(Exists(through))
    if base_models:
        models = models.filter(
            Exists(versions.filter(model_id=OuterRef("pk"), base_model__in=base_models))
        )
    if commercial is not None:
        if commercial == ["None"]:
            models = models.filter(**{field: False for field in COMMERCIAL_USE_FIELDS.values()})
        else:
            any_of = Q()
            for use in commercial:
                any_of |= Q(**{COMMERCIAL_USE_FIELDS[CommercialUse(use)]: True})
            models = models.filter(any_of)
    if allow_derivatives is not None:
        models = models.filter(allow_derivatives=allow_derivatives)
    if allow_no_credit is not None:
        models = models.filter(allow_no_credit=allow_no_credit)
    if allow_different_license is not None:
        models = models.filter(allow_different_license=allow_different_license)
    if not nsfw:
        models = sfw_only(models)
    if query:
        # The one search (issue 10): full-text backends, typo-tolerant on PostgreSQL.
        models = filter_by_query(models, query)
    return models


#: CivitAI's ``period`` values and how far back each reaches (AllTime: no limit).
PERIODS: dict[str, timedelta | None] = {
    "AllTime": None,
    "Year": timedelta(days=365),
    "Month": timedelta(days=30),
    "Week": timedelta(days=7),
    "Day": timedelta(days=1),
}


def period_start(period: str) -> datetime | None:
    """When ``period`` began, counted back from now; None for AllTime."""
    span = PERIODS[period]
    return None if span is None else timezone.now() - span


def enums(versions: QuerySet[ModelVersion]) -> dict[str, list[str]]:
    """CivitAI's ``/api/v1/enums``: the values its list filters take, the base models being
    those of the versions the caller may see (Hubgate runs no generation service, so the
    active ones are the same)."""
    base_models = sorted(set(versions.order_by().values_list("base_model", flat=True)))
    base_types = (
        versions.exclude(base_model_type="").order_by().values_list("base_model_type", flat=True)
    )
    return {
        "ModelType": list(ModelType.values),
        "ModelFileType": list(ModelFile.FileType.values),
        "ActiveBaseModel": base_models,
        "BaseModel": base_models,
        "BaseModelType": sorted(set(base_types)),
    }


def after_cursor(models: QuerySet[Model], sort: str, cursor: tuple[int, int] | None):
    """``models`` in ``sort`` order, starting after ``cursor`` (value, pk): keyset paging."""
    column, descending = MODEL_SORTS[sort]
    if column == "id":
        order = ["-pk"] if descending else ["pk"]
        if cursor is not None:
            models = (
                models.filter(pk__lt=cursor[1]) if descending else models.filter(pk__gt=cursor[1])
            )
        return models.order_by(*order)
    if cursor is not None:
        value, pk = cursor
        models = models.filter(Q(**{f"{column}__lt": value}) | Q(**{column: value, "pk__lt": pk}))
    return models.order_by(f"-{column}", "-pk")


def cursor_of(row: Mapping[str, Any], sort: str) -> str:
    """The cursor after ``row`` (a ``.values()`` row with the sort column and ``id``)."""
    column, _ = MODEL_SORTS[sort]
    return f"{row[column]}:{row['id']}"


_HASH_COLUMNS = {8: ["autov1", "crc32"], 10: ["autov2"], 12: ["autov3"], 64: ["sha256", "blake3"]}


def versions_by_hash(versions: QuerySet[ModelVersion], file_hash: str) -> QuerySet[ModelVersion]:
    """Visible versions with a file that has ``file_hash`` under any of CivitAI's names,
    newest first."""
    columns = _HASH_COLUMNS.get(len(file_hash))
    if not columns:
        return versions.none()
    value = file_hash.upper()
    match = Q()
    for column in columns:
        match |= Q(**{column: value})
    files = ModelFile.objects.filter(match).values("version_id")
    return versions.filter(pk__in=files).order_by("-pk")


def tag_counts(models: QuerySet[Model], *, query: str = "") -> QuerySet[Tag]:
    from django.db.models import Count

    tags = Tag.objects.filter(models__in=models)
    if query:
        tags = tags.filter(name__icontains=query)
    return tags.annotate(model_count=Count("models", distinct=True)).order_by("name")


def creator_counts(models: QuerySet[Model], *, query: str = "") -> QuerySet[Creator]:
    from django.db.models import Count

    creators = Creator.objects.filter(models__in=models)
    if query:
        creators = creators.filter(username__icontains=query)
    return creators.annotate(model_count=Count("models", distinct=True)).order_by("username")


def visible_images(versions: QuerySet[ModelVersion]) -> QuerySet[Image]:
    return Image.objects.filter(version__in=versions)
