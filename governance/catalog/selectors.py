"""Questions about the catalog, with visibility rules already applied."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Prefetch, Q, QuerySet
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import get_objects_for_user

from governance.hookspecs import ModelSnapshot, Recommendation, Score, UserSnapshot, VersionSnapshot
from governance.plugins import PluginResult, call_hook

from .models import Image, Model, ModelFile, ModelMode, ModelVersion, Tag, Visibility


def visible_models(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Model]:
    """The models ``user`` may see.

    Staff see everything. Everyone else sees company-wide models that are not taken down,
    and team-private models their team was granted ``catalog.view_model`` on (the owning
    team always is; a team whose request was approved is too) — django-guardian decides.
    """
    if not user.is_authenticated:
        return Model.objects.none()
    if user.is_staff:
        return Model.objects.all()
    granted = get_objects_for_user(
        user, "catalog.view_model", klass=Model, accept_global_perms=False, with_superuser=False
    )
    return Model.objects.exclude(mode=ModelMode.TAKEN_DOWN).filter(
        Q(visibility=Visibility.COMPANY) | Q(pk__in=granted.values("pk"))
    )


def can_see_model(user: AbstractBaseUser | AnonymousUser, model: Model) -> bool:
    """``visible_models``' rule for one model already loaded: no query for company-wide ones
    (the CI gate check's hot path), one guardian lookup for a team-private one."""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    if model.mode == ModelMode.TAKEN_DOWN:
        return False
    if model.visibility == Visibility.COMPANY:
        return True
    return ObjectPermissionChecker(user).has_perm("view_model", model)


def visible_versions(user: AbstractBaseUser | AnonymousUser) -> QuerySet[ModelVersion]:
    return ModelVersion.objects.filter(model__in=visible_models(user))


def visible_files(user: AbstractBaseUser | AnonymousUser) -> QuerySet[ModelFile]:
    return ModelFile.objects.filter(version__model__in=visible_models(user))


def with_catalog_details(models: QuerySet[Model]) -> QuerySet[Model]:
    """Prefetch what a model listing shows, in a fixed number of queries."""
    return models.select_related("creator", "owning_team").prefetch_related(
        "tags",
        Prefetch(
            "versions",
            queryset=ModelVersion.objects.prefetch_related(
                "files", Prefetch("images", queryset=Image.objects.order_by("position", "id"))
            ),
        ),
    )


def base_model_counts(models: QuerySet[Model]) -> list[tuple[str, int]]:
    """Base models present among ``models`` with how many models use each, most used first."""
    rows = (
        ModelVersion.objects.filter(model__in=models)
        .values("base_model")
        .annotate(n=Count("model", distinct=True))
        .order_by("-n", "base_model")
    )
    return [(row["base_model"], row["n"]) for row in rows]


def version_snapshot(version: ModelVersion) -> VersionSnapshot:
    model = version.model
    files = list(version.files.all())
    images = list(version.images.all())
    return VersionSnapshot(
        id=version.pk,
        model_id=model.pk,
        model_name=model.name,
        model_type=model.type,
        name=version.name,
        base_model=version.base_model,
        description=version.description,
        model_description=model.description,
        trained_words=tuple(version.trained_words),
        tags=tuple(tag.name for tag in model.tags.all()),
        file_count=len(files),
        has_primary_file=any(f.primary for f in files),
        hashed_file_count=sum(1 for f in files if f.sha256),
        image_count=len(images),
        images_with_meta=sum(1 for i in images if i.has_meta),
        license_flags_set=model.hub != "upload" or bool(model.allow_commercial_use),
        download_count=version.download_count,
        rating=version.rating,
        rating_count=version.rating_count,
        thumbs_up_count=version.thumbs_up_count,
        thumbs_down_count=version.thumbs_down_count,
        published_at=version.published_at,
    )


def model_snapshot(model: Model) -> ModelSnapshot:
    """A model for recommenders; expects tags, versions and creator to be prefetched."""
    return ModelSnapshot(
        id=model.pk,
        name=model.name,
        type=model.type,
        tags=frozenset(tag.name for tag in model.tags.all()),
        base_models=frozenset(v.base_model for v in model.versions.all()),
        creator=model.creator.username if model.creator else "",
        nsfw=model.nsfw,
        download_count=model.download_count,
        rating=model.rating,
    )


def _snapshots(models: QuerySet[Model]) -> list[ModelSnapshot]:
    return [
        model_snapshot(m)
        for m in models.select_related("creator").prefetch_related("tags", "versions")
    ]


def _as_recommendations(value: object) -> list[Recommendation]:
    if not isinstance(value, Iterable) or isinstance(value, str | bytes):
        raise TypeError("a recommender must return a sequence of Recommendation")
    items = list(value)
    if not all(isinstance(item, Recommendation) for item in items):
        raise TypeError("a recommender must return a sequence of Recommendation")
    return items


def _merge(
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


def similar_models(
    *, model: Model, user: AbstractBaseUser | AnonymousUser, limit: int = 6
) -> list[tuple[Model, Recommendation]]:
    """Models like ``model`` that ``user`` may see, as the recommender plugins rank them."""
    candidates_qs = visible_models(user).exclude(pk=model.pk)
    target = _snapshots(Model.objects.filter(pk=model.pk))[0]
    candidates = _snapshots(candidates_qs)
    results = call_hook(
        "hubgate_recommend_similar",
        validate=_as_recommendations,
        model=target,
        candidates=candidates,
        limit=limit,
    )
    return _with_models(_merge(results, {c.id for c in candidates}, limit))


def recommended_for_user(
    *, user: AbstractBaseUser, limit: int = 6
) -> list[tuple[Model, Recommendation]]:
    """Models for ``user``, from what their teams own, ranked by the recommender plugins."""
    visible = visible_models(user)
    team_ids = tuple(user.teams.values_list("pk", flat=True))
    used = visible.filter(owning_team__in=team_ids)
    history = _snapshots(used.order_by("-download_count")[:50])
    candidates = _snapshots(visible.exclude(pk__in=used.values("pk")))
    snapshot = UserSnapshot(
        id=user.pk, username=user.get_username(), team_ids=team_ids, history=tuple(history)
    )
    results = call_hook(
        "hubgate_recommend_for_user",
        validate=_as_recommendations,
        user=snapshot,
        candidates=candidates,
        limit=limit,
    )
    return _with_models(_merge(results, {c.id for c in candidates}, limit))


def _with_models(recs: list[Recommendation]) -> list[tuple[Model, Recommendation]]:
    by_id = with_catalog_details(Model.objects.filter(pk__in=[r.model_id for r in recs])).in_bulk()
    return [(by_id[r.model_id], r) for r in recs if r.model_id in by_id]


def compute_version_scores(version: ModelVersion) -> list[PluginResult[Score]]:
    """Ask every scorer plugin about ``version``; failures come back as failed results."""
    return call_hook("hubgate_score_version", validate=_as_score, version=version_snapshot(version))


def _as_score(value: object) -> Score:
    if not isinstance(value, Score):
        raise TypeError(f"a scorer must return a Score, got {type(value).__name__}")
    return value


def search_models(models: QuerySet[Model], text: str) -> QuerySet[Model]:
    """Models matching every word of ``text`` in name, description, tags or creator."""
    for term in text.split()[:10]:
        models = models.filter(
            Q(name__icontains=term)
            | Q(description__icontains=term)
            | Q(tags__name=term.lower())
            | Q(creator__username__iexact=term)
        )
    return models.distinct()


def popular_tags(models: QuerySet[Model], *, limit: int = 20) -> list[tuple[str, int]]:
    """The tags most used among ``models``, with counts."""
    rows = (
        Tag.objects.filter(models__in=models)
        .annotate(n=Count("models", distinct=True))
        .order_by("-n", "name")
        .values_list("name", "n")[:limit]
    )
    return list(rows)


def can_change_model(user: AbstractBaseUser | AnonymousUser, model: Model) -> bool:
    """Staff, or a member of the team that owns the model, may add files to it."""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return model.owning_team_id is not None and user.teams.filter(pk=model.owning_team_id).exists()
