"""Functions that change the catalog."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Model as DjangoModel
from django.utils import timezone

from governance.accounts.models import Team

from .hub_payload import HubModel, HubVersion, parse_civitai_model
from .models import (
    COMMERCIAL_USE_FIELDS,
    Creator,
    Hub,
    Image,
    Model,
    ModelFile,
    ModelVersion,
    Tag,
    VersionScore,
)
from .selectors import compute_version_scores


@dataclass(frozen=True)
class ImportResult:
    model: Model
    created: bool
    versions_created: int
    versions_updated: int


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
        return _write_model(parsed, hub=Hub.CIVITAI, owning_team=owning_team, synced_at=synced_at)


def _write_model(
    parsed: HubModel, *, hub: str, owning_team: Team | None, synced_at: datetime | None
) -> ImportResult:
    creator = None
    if parsed.creator_username:
        creator, _ = Creator.objects.get_or_create(
            username=parsed.creator_username, defaults={"hub": hub}
        )
        if parsed.creator_image and creator.image_url != parsed.creator_image:
            creator.image_url = parsed.creator_image
            creator.save(update_fields=["image_url"])

    values: dict[str, Any] = {
        "name": parsed.name,
        "description": parsed.description,
        "type": parsed.type,
        "creator": creator,
        "source_url": f"https://civitai.com/models/{parsed.external_id}"
        if hub == Hub.CIVITAI
        else "",
        "nsfw": parsed.nsfw,
        "nsfw_level": parsed.nsfw_level,
        "poi": parsed.poi,
        "minor": parsed.minor,
        "sfw_only": parsed.sfw_only,
        "mode": parsed.mode,
        "availability": parsed.availability,
        "allow_no_credit": parsed.allow_no_credit,
        "allow_derivatives": parsed.allow_derivatives,
        "allow_different_license": parsed.allow_different_license,
        **{
            field: use.value in parsed.allow_commercial_use
            for use, field in COMMERCIAL_USE_FIELDS.items()
        },
        **parsed.stats,
    }
    if synced_at is not None:
        values["last_synced_at"] = synced_at
    if owning_team is not None:
        values["owning_team"] = owning_team
    model, created = _upsert(Model, {"hub": hub, "external_id": parsed.external_id}, values)

    tags = [Tag.objects.get_or_create(name=name)[0] for name in dict.fromkeys(parsed.tags)]
    model.tags.set(tags)

    versions_created = 0
    for version in parsed.versions:
        if _write_version(model, version, hub=hub):
            versions_created += 1
    return ImportResult(
        model=model,
        created=created,
        versions_created=versions_created,
        versions_updated=len(parsed.versions) - versions_created,
    )


def _upsert(
    model_class: type[DjangoModel], lookup: dict[str, Any], values: dict[str, Any]
) -> tuple[Any, bool]:
    """Create the row, or update only the fields whose value changed (no write if none did)."""
    obj = model_class.objects.select_for_update().filter(**lookup).first()
    if obj is None:
        return model_class.objects.create(**lookup, **values), True
    changed = [field for field, value in values.items() if getattr(obj, field) != value]
    if changed:
        for field in changed:
            setattr(obj, field, values[field])
        auto_now = [f.name for f in obj._meta.concrete_fields if getattr(f, "auto_now", False)]
        obj.save(update_fields=[*changed, *auto_now])
    return obj, False


def _write_version(model: Model, parsed: HubVersion, *, hub: str) -> bool:
    version, created = _upsert(
        ModelVersion,
        {"hub": hub, "external_id": parsed.external_id},
        {
            "model": model,
            "name": parsed.name,
            "description": parsed.description,
            "index": parsed.index,
            "base_model": parsed.base_model,
            "base_model_type": parsed.base_model_type,
            "trained_words": parsed.trained_words,
            "nsfw_level": parsed.nsfw_level,
            "status": parsed.status,
            "availability": parsed.availability,
            "early_access_time_frame": parsed.early_access_time_frame,
            "early_access_ends_at": parsed.early_access_ends_at,
            "published_at": parsed.published_at,
            "hub_created_at": parsed.hub_created_at,
            "hub_updated_at": parsed.hub_updated_at,
            **parsed.stats,
        },
    )
    # Clear the primary flag first so a primary that moved between files never meets the
    # one-primary-per-version constraint half-way.
    new_primary = {f.external_id for f in parsed.files if f.primary}
    version.files.filter(primary=True).exclude(external_id__in=new_primary).update(primary=False)
    for f in parsed.files:
        _upsert(
            ModelFile,
            {"hub": hub, "external_id": f.external_id},
            {
                "version": version,
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
            },
        )
    for position, image in enumerate(parsed.images):
        _upsert(
            Image,
            {"hub": hub, "external_id": image.external_id},
            {
                "version": version,
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
            },
        )
    return created


def refresh_version_scores(*, version: ModelVersion) -> list[VersionScore]:
    """Recompute and store every scorer's score for ``version``, failures included.

    A scorer that raised is stored with its error and no value, so a reviewer sees that the
    score is missing and why, instead of a silently absent number.
    """
    results = compute_version_scores(version)
    now = timezone.now()
    with transaction.atomic():
        ModelVersion.objects.select_for_update().get(pk=version.pk)
        version.scores.all().delete()
        rows = [
            VersionScore(
                version=version,
                plugin=r.plugin,
                name=r.value.name if r.value else "",
                value=r.value.value if r.value else None,
                explanation=r.value.explanation if r.value else "",
                error=r.error or "",
                computed_at=now,
            )
            for r in results
        ]
        return VersionScore.objects.bulk_create(rows)
