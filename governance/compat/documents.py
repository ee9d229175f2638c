"""Catalog rows as CivitAI's JSON documents: the same field names, types and nulls.

A model imported from CivitAI comes back with the same JSON the hub served for every field
CivitAI defines, with two deliberate differences: ``downloadUrl``\\s point at this Hubgate
(same paths, so downloads go through its gates and usage records), and only the versions the
caller may see are listed. Tag order is not kept by the catalog; tags come back in the order
they were first attached.

Built from ``.values()`` rows, not model instances or DRF serializers: a page of 100 models
with their versions, files and images is five queries and plain dictionaries, which keeps
``/api/v1/models?limit=100`` within its latency budget.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from django.db.models import CharField, Func, QuerySet
from django.db.models.functions import Coalesce

from governance.catalog.models import COMMERCIAL_USE_FIELDS, Hub, Image, Model, ModelFile

from .ids import LOCAL_ID_BASE
from .selectors import image_is_sfw

Row = Mapping[str, Any]

MODEL_FIELDS = [
    "id",
    "hub",
    "external_id",
    "name",
    "description",
    "type",
    "poi",
    "nsfw",
    "nsfw_level",
    "allow_no_credit",
    "allow_derivatives",
    "allow_different_license",
    "mode",
    "minor",
    "sfw_only",
    "availability",
    "download_count",
    "favorite_count",
    "thumbs_up_count",
    "thumbs_down_count",
    "comment_count",
    "rating_count",
    "rating",
    "tipped_amount_count",
    "image_count",
    "creator__username",
    "creator__image_url",
    "visibility",
    *COMMERCIAL_USE_FIELDS.values(),
]
VERSION_FIELDS = [
    "id",
    "hub",
    "external_id",
    "model_id",
    "index",
    "name",
    "base_model",
    "base_model_type",
    "status",
    "availability",
    "nsfw_level",
    "trained_words",
    "description",
    "early_access_time_frame",
    "download_count",
    "rating_count",
    "rating",
    "thumbs_up_count",
    "thumbs_down_count",
]
FILE_FIELDS = [
    "id",
    "hub",
    "external_id",
    "version_id",
    "name",
    "size_kb",
    "type",
    "primary",
    "format",
    "size_variant",
    "fp",
    "pickle_scan_result",
    "pickle_scan_message",
    "virus_scan_result",
    "virus_scan_message",
    "autov1",
    "autov2",
    "autov3",
    "sha256",
    "crc32",
    "blake3",
]
IMAGE_FIELDS = [
    "id",
    "hub",
    "external_id",
    "version_id",
    "url",
    "nsfw_level",
    "width",
    "height",
    "blurhash",
    "type",
    "has_meta",
    "on_site",
    "meta",
]
_HASHES = [
    ("AutoV1", "autov1"),
    ("AutoV2", "autov2"),
    ("AutoV3", "autov3"),
    ("SHA256", "sha256"),
    ("CRC32", "crc32"),
    ("BLAKE3", "blake3"),
]

#: CivitAI's AIR type names for model types; others are "unknown".
AIR_TYPES = {
    "AestheticGradient": "ag",
    "Checkpoint": "checkpoint",
    "Hypernetwork": "hypernet",
    "TextualInversion": "embedding",
    "MotionModule": "motion",
    "Upscaler": "upscaler",
    "VAE": "vae",
    "LORA": "lora",
    "DoRA": "dora",
    "LoCon": "lycoris",
    "Controlnet": "controlnet",
}
#: The AIR ecosystem of common base models (CivitAI's root ecosystems, lower-cased).
AIR_ECOSYSTEMS = {
    "SD 1.4": "sd1",
    "SD 1.5": "sd1",
    "SD 1.5 LCM": "sd1",
    "SD 1.5 Hyper": "sd1",
    "SD 2.0": "sd2",
    "SD 2.1": "sd2",
    "SDXL 0.9": "sdxl",
    "SDXL 1.0": "sdxl",
    "SDXL 1.0 LCM": "sdxl",
    "SDXL Turbo": "sdxl",
    "SDXL Lightning": "sdxl",
    "SDXL Hyper": "sdxl",
    "Pony": "sdxl",
    "Illustrious": "sdxl",
    "NoobAI": "sdxl",
    "SD 3": "sd3",
    "SD 3.5": "sd3",
    "SD 3.5 Medium": "sd3",
    "SD 3.5 Large": "sd3",
    "Flux.1 D": "flux1",
    "Flux.1 S": "flux1",
    "Wan Video": "wanvideo",
}


class CivitaiTime(Func):
    """A timestamp as CivitAI writes it (UTC, milliseconds, ``Z``), formatted by the database:
    parsing ~1,000 timestamps per page into datetimes only to print them again costs more
    than every query of the page."""

    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        template = (
            "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
        )
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        template = "strftime('%%%%Y-%%%%m-%%%%dT%%%%H:%%%%M:%%%%fZ', %(expressions)s)"
        return self.as_sql(compiler, connection, template=template, **extra)


#: Version timestamps, formatted in SQL (uploads fall back to Hubgate's own dates).
VERSION_TIMES = {
    "created_s": CivitaiTime(Coalesce("hub_created_at", "created_at")),
    "published_s": CivitaiTime("published_at"),
    "updated_s": CivitaiTime(Coalesce("hub_updated_at", "updated_at")),
    "early_access_ends_s": CivitaiTime("early_access_ends_at"),
}
FILE_TIMES = {"scanned_s": CivitaiTime("scanned_at")}


def served(row: Row) -> int:
    """The id the API shows for a row (see ``ids``): the hub's, or above 2**31."""
    if row["hub"] == Hub.CIVITAI and row["external_id"]:
        return int(row["external_id"])
    return LOCAL_ID_BASE + row["id"]


def civitai_time(value: datetime | None) -> str | None:
    """CivitAI's timestamps: UTC, milliseconds, a ``Z``."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def air(version: Row, model: Row) -> str:
    """The version's AI Resource Identifier; Hubgate-only records use the source hubgate."""
    base = version["base_model"]
    ecosystem = AIR_ECOSYSTEMS.get(base, base.lower().replace(" ", ""))
    source = "civitai" if model["hub"] == Hub.CIVITAI and model["external_id"] else "hubgate"
    kind = AIR_TYPES.get(model["type"], "unknown")
    return f"urn:air:{ecosystem}:{kind}:{source}:{served(model)}@{served(version)}"


def download_url(base_url: str, version: Row, file: Row | None = None) -> str:
    """CivitAI's download link: bare for the primary file, narrowed by type/format/size/fp."""
    url = f"{base_url}/api/download/models/{served(version)}"
    if file is None or file["primary"]:
        return url
    params = {"type": file["type"]}
    if file["type"] != ModelFile.FileType.TRAINING_DATA:
        for key, column in (("format", "format"), ("size", "size_variant"), ("fp", "fp")):
            if file[column]:
                params[key] = file[column]
    return f"{url}?{urlencode(params, quote_via=quote)}"


def file_document(file: Row, version: Row, base_url: str) -> dict[str, Any]:
    return {
        "id": served(file),
        "name": file["name"],
        "sizeKB": file["size_kb"],
        "type": file["type"],
        "primary": file["primary"],
        "metadata": {
            "format": file["format"] or None,
            "size": file["size_variant"] or None,
            "fp": file["fp"] or None,
        },
        "pickleScanResult": file["pickle_scan_result"],
        "pickleScanMessage": file["pickle_scan_message"] or None,
        "virusScanResult": file["virus_scan_result"],
        "virusScanMessage": file["virus_scan_message"] or None,
        "scannedAt": file["scanned_s"],
        "hashes": {name: file[column] for name, column in _HASHES if file[column]},
        "downloadUrl": download_url(base_url, version, file),
    }


def image_document(image: Row) -> dict[str, Any]:
    return {
        "id": served(image),
        "url": image["url"],
        "nsfwLevel": image["nsfw_level"],
        "width": image["width"],
        "height": image["height"],
        "hash": image["blurhash"] or None,
        "type": image["type"],
        "hasMeta": image["has_meta"],
        "onSite": image["on_site"],
        "meta": image["meta"],
    }


def version_document(
    version: Row,
    files: Iterable[Row],
    images: Iterable[Row],
    base_url: str,
    *,
    nsfw: bool = True,
    primary_only: bool = False,
) -> dict[str, Any]:
    if primary_only:
        files = [f for f in files if f["primary"]]
    return {
        "id": served(version),
        "index": version["index"],
        "name": version["name"],
        "baseModel": version["base_model"],
        "baseModelType": version["base_model_type"] or None,
        "createdAt": version["created_s"],
        "publishedAt": version["published_s"],
        "updatedAt": version["updated_s"],
        "status": version["status"],
        "availability": version["availability"],
        "nsfwLevel": version["nsfw_level"],
        "trainedWords": version["trained_words"],
        "description": version["description"] or None,
        "earlyAccessTimeFrame": version["early_access_time_frame"],
        "earlyAccessEndsAt": version["early_access_ends_s"],
        "stats": {
            "downloadCount": version["download_count"],
            "ratingCount": version["rating_count"],
            "rating": version["rating"],
            "thumbsUpCount": version["thumbs_up_count"],
            "thumbsDownCount": version["thumbs_down_count"],
        },
        "files": [file_document(f, version, base_url) for f in files],
        "images": [image_document(i) for i in images if nsfw or image_is_sfw(i["nsfw_level"])],
        "downloadUrl": download_url(base_url, version),
    }


def model_document(model: Row, versions: list[dict[str, Any]], tags: list[str]) -> dict:
    return {
        "id": served(model),
        "name": model["name"],
        "description": model["description"] or None,
        "type": model["type"],
        "poi": model["poi"],
        "nsfw": model["nsfw"],
        "nsfwLevel": model["nsfw_level"],
        "allowNoCredit": model["allow_no_credit"],
        "allowCommercialUse": [
            use.value for use, column in COMMERCIAL_USE_FIELDS.items() if model[column]
        ],
        "allowDerivatives": model["allow_derivatives"],
        "allowDifferentLicense": model["allow_different_license"],
        "mode": model["mode"] or None,
        "minor": model["minor"],
        "sfwOnly": model["sfw_only"],
        "availability": model["availability"],
        "stats": {
            "downloadCount": model["download_count"],
            "favoriteCount": model["favorite_count"],
            "thumbsUpCount": model["thumbs_up_count"],
            "thumbsDownCount": model["thumbs_down_count"],
            "commentCount": model["comment_count"],
            "ratingCount": model["rating_count"],
            "rating": model["rating"],
            "tippedAmountCount": model["tipped_amount_count"],
        },
        "creator": {
            "username": model["creator__username"],
            "image": model["creator__image_url"] or None,
        }
        if model["creator__username"]
        else None,
        "tags": tags,
        "modelVersions": versions,
    }


def _grouped(rows: Iterable[Row], key: str) -> dict[int, list[Row]]:
    grouped: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped


def _files_and_images(version_ids: list[int]) -> tuple[dict, dict]:
    files = ModelFile.objects.filter(version_id__in=version_ids).order_by(
        "version_id", "-primary", "pk"
    )
    images = Image.objects.filter(version_id__in=version_ids).order_by(
        "version_id", "position", "pk"
    )
    return (
        _grouped(files.values(*FILE_FIELDS, **FILE_TIMES), "version_id"),
        _grouped(images.values(*IMAGE_FIELDS), "version_id"),
    )


def model_documents(
    models: list[Row],
    versions: QuerySet,
    base_url: str,
    *,
    nsfw: bool = True,
    primary_only: bool = False,
) -> list[dict[str, Any]]:
    """Documents for ``models`` (rows of MODEL_FIELDS) with ``versions`` (a queryset already
    narrowed to what the caller may see): four more queries whatever the page size."""
    by_model = _grouped(versions.values(*VERSION_FIELDS, **VERSION_TIMES), "model_id")
    version_ids = [v["id"] for vs in by_model.values() for v in vs]
    files, images = _files_and_images(version_ids)
    tags: dict[int, list[str]] = defaultdict(list)
    rows = (
        Model.tags.through.objects.filter(model_id__in=[m["id"] for m in models])
        .order_by("pk")
        .values_list("model_id", "tag__name")
    )
    for model_id, name in rows:
        tags[model_id].append(name)
    documents = []
    for model in models:
        served_versions = [
            version_document(
                v,
                files.get(v["id"], ()),
                images.get(v["id"], ()),
                base_url,
                nsfw=nsfw,
                primary_only=primary_only,
            )
            for v in by_model.get(model["id"], ())
        ]
        documents.append(model_document(model, served_versions, tags.get(model["id"], [])))
    return documents


def version_detail(versions: QuerySet, base_url: str) -> tuple[int, dict[str, Any]] | None:
    """``/api/v1/model-versions/{id}``: the first of ``versions`` with ``modelId``, ``air``
    and a ``model`` summary, with that version's primary key (the read is usage); None if
    there is none."""
    version = versions.values(*VERSION_FIELDS, **VERSION_TIMES).first()
    if version is None:
        return None
    model = Model.objects.filter(pk=version["model_id"]).values(*MODEL_FIELDS).get()
    files, images = _files_and_images([version["id"]])
    document = version_document(
        version, files.get(version["id"], ()), images.get(version["id"], ()), base_url
    )
    summary: dict[str, Any] = {
        "name": model["name"],
        "type": model["type"],
        "nsfw": model["nsfw"],
        "poi": model["poi"],
        "minor": model["minor"],
    }
    if model["mode"]:
        summary["mode"] = model["mode"]
    document = {**document, "modelId": served(model), "air": air(version, model), "model": summary}
    return version["id"], document
