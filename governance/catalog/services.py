"""Functions that change the catalog."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model as DjangoModel
from django.utils import timezone

from governance.accounts import permissions
from governance.accounts.models import Team, User
from governance.audit.services import record
from governance.errors import Conflict, InvalidHubPayload, ValidationFailed

from .hub_payload import HubFile, HubImage, HubModel, HubVersion, parse_civitai_model
from .models import (
    COMMERCIAL_USE_FIELDS,
    PERMISSION_FLAG_FIELDS,
    Creator,
    Hub,
    Image,
    Model,
    ModelFile,
    ModelVersion,
    Tag,
)
from .signals import models_written, permission_flags_changed, versions_added

#: Model columns a hub sync rewrites on (nearly) every run. A change confined to these is
#: written in bulk; any other change goes through ``Model.save()`` so that the receivers of
#: ``post_save`` (the owning team's permission) see it exactly as they would for an edit in
#: the admin. Changed permission flags are told with ``signals.permission_flags_changed``.
_BULK_MODEL_FIELDS = frozenset(
    {
        "download_count",
        "thumbs_up_count",
        "thumbs_down_count",
        "rating_count",
        "rating",
        "favorite_count",
        "comment_count",
        "tipped_amount_count",
        "image_count",
        "last_synced_at",
    }
)


_FLAGS = frozenset(PERMISSION_FLAG_FIELDS)


@dataclass(frozen=True)
class ImportResult:
    model: Model
    created: bool
    versions_created: int
    versions_updated: int
    #: Anything written for this model (itself, a version, file, image or tag link).
    changed: bool = True


@dataclass
class PageImport:
    """What one page of hub documents did: a result per written model, an error per refused one
    (``(position in the page, error)``), in page order."""

    results: list[ImportResult] = field(default_factory=list)
    refused: list[tuple[int, InvalidHubPayload]] = field(default_factory=list)


def import_civitai_model(
    *,
    document: Mapping[str, Any],
    owning_team: Team | None = None,
    synced_at: datetime | None = None,
) -> ImportResult:
    """Create or update one model, with its versions, files and images, from CivitAI's JSON.

    Idempotent: importing the same document again changes nothing; importing a newer one
    updates in place. The document is validated whole before anything is written, and the
    write is one transaction, so a broken document leaves the catalog as it was.
    ``synced_at`` records when the document was fetched from the hub (None: not a sync).
    """
    parsed = parse_civitai_model(document)
    with transaction.atomic():
        (result,) = _write_models(
            [parsed], hub=Hub.CIVITAI, owning_team=owning_team, synced_at=synced_at
        )
    return result


def import_civitai_models(
    *, documents: Sequence[Mapping[str, Any]], synced_at: datetime | None = None
) -> PageImport:
    """Import one page of CivitAI model documents with a few queries per table, not per row.

    Every document is validated first; a refused one is reported (with its position) and
    the others still arrive. The valid ones are written together in one transaction. If that
    write fails on the database (say a concurrent import inserted the same creator first),
    each model is written again in a transaction of its own, as
    :func:`import_civitai_model` would, so one model's trouble never loses the page.
    """
    page = PageImport()
    parsed: list[tuple[int, HubModel]] = []
    for position, document in enumerate(documents):
        try:
            parsed.append((position, parse_civitai_model(document)))
        except InvalidHubPayload as exc:
            page.refused.append((position, exc))
    written: dict[int, ImportResult] = {}
    try:
        with transaction.atomic():
            for group in _without_shared_ids(parsed):
                results = _write_models(
                    [p for _, p in group], hub=Hub.CIVITAI, owning_team=None, synced_at=synced_at
                )
                written.update(zip([i for i, _ in group], results, strict=True))
    except IntegrityError:
        written = {}
        for position, one in parsed:
            with transaction.atomic():
                (written[position],) = _write_models(
                    [one], hub=Hub.CIVITAI, owning_team=None, synced_at=synced_at
                )
    page.results = [written[position] for position, _ in parsed]
    return page


def _without_shared_ids(parsed: list[tuple[int, HubModel]]) -> list[list[tuple[int, HubModel]]]:
    """Split a page into runs in which no model or version id repeats, so a (hostile) page
    listing one id twice is written in order, the later document winning as it would one
    model at a time."""
    groups: list[list[tuple[int, HubModel]]] = []
    seen: set[tuple[str, str]] = set()
    for item in parsed:
        keys = {("model", item[1].external_id)}
        keys |= {("version", v.external_id) for v in item[1].versions}
        if not groups or keys & seen:
            groups.append([])
            seen = set()
        groups[-1].append(item)
        seen |= keys
    return groups


def _write_models(
    parsed: Sequence[HubModel], *, hub: str, owning_team: Team | None, synced_at: datetime | None
) -> list[ImportResult]:
    """Upsert ``parsed`` (no model or version id twice) with a fixed number of queries per
    table, inside the caller's transaction. Only changed columns are written."""
    creators = _upsert_creators(parsed, hub=hub)
    models, created, touched = _upsert_models(
        parsed, creators, hub=hub, owning_team=owning_team, synced_at=synced_at
    )
    if owning_team is not None:
        for model in models.values():
            grant_owning_team(model=model)
    touched |= _set_tags(parsed, models)
    versions, new_versions, written = _upsert_versions(parsed, models, hub=hub)
    written |= _upsert_files(parsed, versions, hub=hub)
    written |= _upsert_images(parsed, versions, hub=hub)
    results = []
    for p in parsed:
        fresh = sum(v.external_id in new_versions for v in p.versions)
        changed = models[p.external_id].pk in touched or any(
            versions[v.external_id].pk in written for v in p.versions
        )
        results.append(
            ImportResult(
                model=models[p.external_id],
                created=p.external_id in created,
                versions_created=fresh,
                versions_updated=len(p.versions) - fresh,
                changed=changed,
            )
        )
    if written_ids := [r.model.pk for r in results if r.changed]:
        models_written.send(Model, model_ids=written_ids)
    if new_versions:
        added = [versions[external_id].pk for external_id in sorted(new_versions)]
        versions_added.send(ModelVersion, version_ids=added)
    return results


def transfer_model(*, model: Model, to_team: Team | None, actor: User, reason: str) -> Model:
    """Move ``model`` to ``to_team`` (None: no team owns it): the old owner's view permission is
    revoked and the new owner's granted in the same transaction, audited with both owners."""
    if not reason.strip():
        raise ValidationFailed("Say why the model changes owner.", errors={"reason": ["Required."]})
    with transaction.atomic():
        locked = Model.objects.select_for_update().get(pk=model.pk)
        old = locked.owning_team
        if (old.pk if old else None) == (to_team.pk if to_team else None):
            raise Conflict(f"{locked} is already owned by {to_team or 'no team'}.")
        if old is not None and old.group_id is not None:
            permissions.revoke(permissions.VIEW_MODEL, group=old.group, obj=locked)
        locked.owning_team = to_team
        locked.save(update_fields=["owning_team", "updated_at"])
        grant_owning_team(model=locked)
        record(
            action="model.owner_changed",
            obj=locked,
            actor=actor,
            before={"owning_team": old.slug if old else None},
            after={"owning_team": to_team.slug if to_team else None, "reason": reason},
        )
    return locked


def grant_owning_team(*, model: Model) -> None:
    """The owning team may always see its model: granted as an object permission (idempotent;
    nothing for a model no team owns)."""
    permissions.grant_to_team(permissions.VIEW_MODEL, team=model.owning_team, obj=model)


def _locked(model_class: type[DjangoModel], external_ids: Iterable[str], *, hub: str) -> dict:
    """The rows of ``external_ids`` on ``hub`` that exist, locked, by external id: one query."""
    rows = model_class.objects.select_for_update().filter(hub=hub, external_id__in=external_ids)
    return {row.external_id: row for row in rows}


def _changed(obj: DjangoModel, values: Mapping[str, Any]) -> list[str]:
    return [name for name, value in values.items() if getattr(obj, name) != value]


def _apply(
    model_class: type[DjangoModel],
    existing: Mapping[str, DjangoModel],
    wanted: Mapping[str, dict[str, Any]],
    *,
    hub: str,
) -> tuple[dict[str, DjangoModel], set[str], set[str]]:
    """Insert the rows of ``wanted`` (external id → column values) that ``existing`` lacks,
    in one bulk insert; update in bulk the columns that changed on the others (with the
    row's ``auto_now`` columns); rows with no change are not written at all. Returns the
    rows by external id, and the external ids inserted and updated."""
    rows: dict[str, DjangoModel] = {}
    new: list[DjangoModel] = []
    changed_rows: list[DjangoModel] = []
    changed_fields: set[str] = set()
    now = timezone.now()
    auto_now = [
        f.attname for f in model_class._meta.concrete_fields if getattr(f, "auto_now", False)
    ]
    for external_id, values in wanted.items():
        obj = existing.get(external_id)
        if obj is None:
            obj = model_class(hub=hub, external_id=external_id, **values)
            new.append(obj)
        elif changes := _changed(obj, values):
            for name in changes:
                setattr(obj, name, values[name])
            for name in auto_now:
                setattr(obj, name, now)
            changed_rows.append(obj)
            changed_fields.update(changes)
        rows[external_id] = obj
    if changed_rows:
        model_class.objects.bulk_update(changed_rows, [*sorted(changed_fields), *auto_now])
    model_class.objects.bulk_create(new)
    return rows, {obj.external_id for obj in new}, {obj.external_id for obj in changed_rows}


def _upsert_creators(parsed: Sequence[HubModel], *, hub: str) -> dict[str, Creator]:
    images: dict[str, str] = {}
    for p in parsed:
        if p.creator_username:
            images.setdefault(p.creator_username, "")
            if p.creator_image:
                images[p.creator_username] = p.creator_image
    if not images:
        return {}
    creators = {c.username: c for c in Creator.objects.filter(username__in=images)}
    missing = [
        Creator(username=name, hub=hub, image_url=image)
        for name, image in images.items()
        if name not in creators
    ]
    stale = []
    for name, creator in creators.items():
        if images[name] and creator.image_url != images[name]:
            creator.image_url = images[name]
            stale.append(creator)
    Creator.objects.bulk_update(stale, ["image_url"])
    creators.update({c.username: c for c in Creator.objects.bulk_create(missing)})
    return creators


def _model_values(
    p: HubModel,
    creators: Mapping[str, Creator],
    *,
    hub: str,
    owning_team: Team | None,
    synced_at: datetime | None,
) -> dict[str, Any]:
    creator = creators.get(p.creator_username) if p.creator_username else None
    values: dict[str, Any] = {
        "name": p.name,
        "description": p.description,
        "type": p.type,
        "creator_id": creator.pk if creator is not None else None,
        "source_url": f"https://civitai.com/models/{p.external_id}" if hub == Hub.CIVITAI else "",
        "nsfw": p.nsfw,
        "nsfw_level": p.nsfw_level,
        "poi": p.poi,
        "minor": p.minor,
        "sfw_only": p.sfw_only,
        "mode": p.mode,
        "availability": p.availability,
        "allow_no_credit": p.allow_no_credit,
        "allow_derivatives": p.allow_derivatives,
        "allow_different_license": p.allow_different_license,
        **{
            field: use.value in p.allow_commercial_use
            for use, field in COMMERCIAL_USE_FIELDS.items()
        },
        **p.stats,
        "image_count": sum(len(v.images) for v in p.versions),
    }
    if synced_at is not None:
        values["last_synced_at"] = synced_at
    if owning_team is not None:
        values["owning_team_id"] = owning_team.pk
    return values


def _upsert_models(
    parsed: Sequence[HubModel],
    creators: Mapping[str, Creator],
    *,
    hub: str,
    owning_team: Team | None,
    synced_at: datetime | None,
) -> tuple[dict[str, Model], set[str], set[str]]:
    """Models by external id, the external ids created, and the pks the hub changed."""
    wanted = {
        p.external_id: _model_values(
            p, creators, hub=hub, owning_team=owning_team, synced_at=synced_at
        )
        for p in parsed
    }
    existing = _locked(Model, wanted, hub=hub)
    # Importing never changes ownership: the team an import names owns only the models that
    # import creates. Moving a model to another team is transfer_model's, an admin's act.
    for external_id in existing:
        wanted[external_id].pop("owning_team_id", None)
    # Rows whose save has to reach post_save receivers: a new model with an owning team and a
    # change beyond the hub's counters.
    one_by_one = {
        external_id
        for external_id, values in wanted.items()
        if (
            external_id in existing
            and set(_changed(existing[external_id], values)) - _BULK_MODEL_FIELDS
        )
        or (external_id not in existing and owning_team is not None)
    }
    # The creator's permission flags the hub changed (read before the rows are updated).
    flags = {
        external_id: sorted(set(_changed(existing[external_id], values)) & _FLAGS)
        for external_id, values in wanted.items()
        if external_id in existing
    }
    # What the hub changed (a new sync time alone is not a change of the model).
    changed = {
        external_id
        for external_id, values in wanted.items()
        if external_id not in existing
        or set(_changed(existing[external_id], values)) - {"last_synced_at"}
    }
    rows, created, _ = _apply(
        Model, existing, {k: v for k, v in wanted.items() if k not in one_by_one}, hub=hub
    )
    for external_id in one_by_one:
        rows[external_id], is_new = _save_one(
            Model,
            existing.get(external_id),
            wanted[external_id],
            hub=hub,
            external_id=external_id,
        )
        if is_new:
            created.add(external_id)
    for external_id, fields in flags.items():
        if fields:
            permission_flags_changed.send(Model, model=rows[external_id], fields=fields)
    return rows, created, {rows[external_id].pk for external_id in changed}


def _save_one(
    model_class: type[DjangoModel],
    obj: DjangoModel | None,
    values: Mapping[str, Any],
    *,
    hub: str,
    external_id: str,
) -> tuple[Any, bool]:
    """Create the row, or save only the columns that changed, through ``save()``."""
    if obj is None:
        return model_class.objects.create(hub=hub, external_id=external_id, **values), True
    changes = _changed(obj, values)
    for name in changes:
        setattr(obj, name, values[name])
    auto_now = [f.name for f in obj._meta.concrete_fields if getattr(f, "auto_now", False)]
    obj.save(update_fields=[*changes, *auto_now])
    return obj, False


def _set_tags(parsed: Sequence[HubModel], models: Mapping[str, Model]) -> set[int]:
    """Each model's tags become exactly the document's: missing tags created, through rows
    added and removed in bulk. Returns the pks of the models whose tags changed."""
    names = {name for p in parsed for name in p.tags}
    tags = {t.name: t for t in Tag.objects.filter(name__in=names)}
    tags.update(
        {
            t.name: t
            for t in Tag.objects.bulk_create(
                [Tag(name=name) for name in sorted(names - tags.keys())]
            )
        }
    )
    through = Model.tags.through
    wanted = {(models[p.external_id].pk, tags[name].pk) for p in parsed for name in p.tags}
    current = {
        (row["model_id"], row["tag_id"]): row["id"]
        for row in through.objects.filter(model_id__in=[m.pk for m in models.values()]).values(
            "id", "model_id", "tag_id"
        )
    }
    stale = {pair: pk for pair, pk in current.items() if pair not in wanted}
    if stale:
        through.objects.filter(pk__in=stale.values()).delete()
    added = sorted(wanted - current.keys())
    through.objects.bulk_create([through(model_id=m, tag_id=t) for m, t in added])
    return {m for m, _ in [*added, *stale]}


def _version_values(v: HubVersion, model: Model) -> dict[str, Any]:
    return {
        "model_id": model.pk,
        "name": v.name,
        "description": v.description,
        "index": v.index,
        "base_model": v.base_model,
        "base_model_type": v.base_model_type,
        "trained_words": v.trained_words,
        "nsfw_level": v.nsfw_level,
        "status": v.status,
        "availability": v.availability,
        "early_access_time_frame": v.early_access_time_frame,
        "early_access_ends_at": v.early_access_ends_at,
        "published_at": v.published_at,
        "hub_created_at": v.hub_created_at,
        "hub_updated_at": v.hub_updated_at,
        **v.stats,
    }


def _upsert_versions(
    parsed: Sequence[HubModel], models: Mapping[str, Model], *, hub: str
) -> tuple[dict[str, ModelVersion], set[str], set[int]]:
    """New versions arrive as drafts (the column's default); a sync never touches ``state``.
    Returns versions by external id, the external ids created, and the pks written."""
    wanted = {
        v.external_id: _version_values(v, models[p.external_id]) for p in parsed for v in p.versions
    }
    existing = _locked(ModelVersion, wanted, hub=hub)
    rows, created, updated = _apply(ModelVersion, existing, wanted, hub=hub)
    return rows, created, {rows[external_id].pk for external_id in created | updated}


def _each_version(
    parsed: Sequence[HubModel], versions: Mapping[str, ModelVersion]
) -> Iterable[tuple[ModelVersion, HubVersion]]:
    for p in parsed:
        for v in p.versions:
            yield versions[v.external_id], v


def _file_values(f: HubFile, version: ModelVersion) -> dict[str, Any]:
    return {
        "version_id": version.pk,
        "name": f.name,
        "type": f.type,
        "size_kb": f.size_kb,
        "primary": f.primary,
        "format": f.format,
        "fp": f.fp,
        "size_variant": f.size_variant,
        "download_url": f.download_url,
        "sha256": f.hashes.get("SHA256", ""),
        "autov1": f.hashes.get("AutoV1", ""),
        "autov2": f.hashes.get("AutoV2", ""),
        "autov3": f.hashes.get("AutoV3", ""),
        "crc32": f.hashes.get("CRC32", ""),
        "blake3": f.hashes.get("BLAKE3", ""),
        "pickle_scan_result": f.pickle_scan_result,
        "pickle_scan_message": f.pickle_scan_message,
        "virus_scan_result": f.virus_scan_result,
        "virus_scan_message": f.virus_scan_message,
        "scanned_at": f.scanned_at,
    }


def _upsert_files(
    parsed: Sequence[HubModel], versions: Mapping[str, ModelVersion], *, hub: str
) -> set[int]:
    """Returns the pks of the versions whose files were written."""
    # A file listed twice keeps its last listing, as writing one model at a time would.
    wanted: dict[str, dict[str, Any]] = {}
    for version, v in _each_version(parsed, versions):
        for f in v.files:
            wanted.pop(f.external_id, None)
            wanted[f.external_id] = _file_values(f, version)
    # Clear the primary flag first so a primary that moved between files never meets the
    # one-primary-per-version constraint half-way.
    primaries = [external_id for external_id, values in wanted.items() if values["primary"]]
    demoted = ModelFile.objects.filter(
        version_id__in=[v.pk for v in versions.values()], primary=True
    ).exclude(external_id__in=primaries)
    written = set(demoted.values_list("version_id", flat=True))
    if written:
        demoted.update(primary=False)
    existing = _locked(ModelFile, wanted, hub=hub)
    return written | _written_versions(_apply(ModelFile, existing, wanted, hub=hub))


def _written_versions(applied: tuple[dict[str, Any], set[str], set[str]]) -> set[int]:
    rows, created, updated = applied
    return {rows[external_id].version_id for external_id in created | updated}


def _image_values(image: HubImage, version: ModelVersion, position: int) -> dict[str, Any]:
    return {
        "version_id": version.pk,
        "url": image.url,
        "type": image.type,
        "nsfw_level": image.nsfw_level,
        "width": image.width,
        "height": image.height,
        "blurhash": image.blurhash,
        "meta": image.meta,
        "has_meta": image.has_meta,
        "on_site": image.on_site,
        "position": position,
    }


def _upsert_images(
    parsed: Sequence[HubModel], versions: Mapping[str, ModelVersion], *, hub: str
) -> set[int]:
    """Returns the pks of the versions whose images were written."""
    wanted: dict[str, dict[str, Any]] = {}
    for version, v in _each_version(parsed, versions):
        for position, image in enumerate(v.images):
            wanted.pop(image.external_id, None)
            wanted[image.external_id] = _image_values(image, version, position)
    existing = _locked(Image, wanted, hub=hub)
    return _written_versions(_apply(Image, existing, wanted, hub=hub))


def set_permission_flags(*, model: Model, flags: Mapping[str, bool]) -> list[str]:
    """Correct the creator's permission flags of ``model`` (say, the hub's were wrong);
    returns the flags that changed, which licensing then re-evaluates."""
    unknown = set(flags) - _FLAGS
    if unknown:
        raise ValueError(f"not permission flags: {', '.join(sorted(unknown))}")
    changed = sorted(name for name, value in flags.items() if getattr(model, name) != value)
    if not changed:
        return []
    for name in changed:
        setattr(model, name, flags[name])
    with transaction.atomic():
        model.save(update_fields=[*changed, "updated_at"])
        announce_permission_flags(model=model, fields=changed)
    return changed


def announce_permission_flags(*, model: Model, fields: Iterable[str]) -> list[str]:
    """Tell the apps that depend on them (licensing) that these just-saved ``fields`` of
    ``model`` changed; only permission flags count. For writes made outside this module
    (the admin's form); returns the flags told."""
    changed = sorted(set(fields) & _FLAGS)
    if changed:
        permission_flags_changed.send(Model, model=model, fields=changed)
    return changed
