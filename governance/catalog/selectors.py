"""Questions about the catalog, with visibility rules already applied."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Prefetch, Q, QuerySet

from governance.accounts import permissions
from governance.errors import NotFound
from governance.hookspecs import VersionSnapshot

from .models import Creator, Image, Model, ModelFile, ModelMode, ModelVersion, Tag, Visibility


def visible_models(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Model]:
    """The models ``user`` may see.

    Staff see everything. Everyone else sees company-wide models that are not taken down,
    and team-private models their team was granted ``catalog.view_model`` on (the owning
    team always is; a team whose request was approved is too) — the permission module decides.
    """
    if not user.is_authenticated:
        return Model.objects.none()
    if user.is_staff:
        return Model.objects.all()
    granted = permissions.objects_granted(user, permissions.VIEW_MODEL, Model.objects.all())
    return Model.objects.exclude(mode=ModelMode.TAKEN_DOWN).filter(
        Q(visibility=Visibility.COMPANY) | Q(pk__in=granted.values("pk"))
    )


def can_see_model(user: AbstractBaseUser | AnonymousUser, model: Model) -> bool:
    """``visible_models``' rule for one model already loaded: no query for company-wide ones
    (the CI gate check's hot path), one permission lookup for a team-private one."""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    if model.mode == ModelMode.TAKEN_DOWN:
        return False
    if model.visibility == Visibility.COMPANY:
        return True
    return permissions.can_view_model(user, model)


def visible_versions(user: AbstractBaseUser | AnonymousUser) -> QuerySet[ModelVersion]:
    return ModelVersion.objects.filter(model__in=visible_models(user))


def visible_model(user: AbstractBaseUser | AnonymousUser, model_id: int) -> Model:
    """The model ``model_id`` if ``user`` may see it; otherwise NotFound (never 403, so an
    id does not reveal that a private model exists)."""
    model = visible_models(user).filter(pk=model_id).first()
    if model is None:
        raise NotFound(f"No model {model_id} that you may see.")
    return model


def visible_version(user: AbstractBaseUser | AnonymousUser, version_id: int) -> ModelVersion:
    """The version ``version_id`` (with its model) if ``user`` may see its model; otherwise
    NotFound."""
    version = visible_versions(user).select_related("model").filter(pk=version_id).first()
    if version is None:
        raise NotFound(f"No model version {version_id} that you may see.")
    return version


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


def visible_tags(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Tag]:
    """Tags on at least one model ``user`` may see, each with ``model_count`` of those: a tag
    used only on another team's private models is not listed, nor counted."""
    visible = visible_models(user)
    return (
        Tag.objects.filter(models__in=visible)
        .annotate(model_count=Count("models", filter=Q(models__in=visible), distinct=True))
        .distinct()
    )


def visible_creators(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Creator]:
    """Creators of at least one model ``user`` may see, each with ``model_count`` of those."""
    visible = visible_models(user)
    return (
        Creator.objects.filter(models__in=visible)
        .annotate(model_count=Count("models", filter=Q(models__in=visible), distinct=True))
        .distinct()
    )
