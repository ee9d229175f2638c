"""Reading a hub's model document into plain, validated values before anything is written.

A hub is outside our control: every field is checked for presence, type and size here, and a
bad one raises :class:`~governance.errors.InvalidHubPayload` naming the field, e.g.
``modelVersions[2].files[0].hashes.SHA256``. Only fully parsed documents reach the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from governance.errors import InvalidHubPayload

from .models import CommercialUse, ModelMode, ModelType

#: CivitAI's hash names and the hex length of each.
HASH_LENGTHS = {"AutoV1": 8, "AutoV2": 10, "AutoV3": 12, "SHA256": 64, "CRC32": 8, "BLAKE3": 64}
_HEX = re.compile(r"\A[0-9A-Fa-f]+\Z")
_MISSING = object()


class _Reader:
    """Typed access to one JSON object, with the object's path for error messages."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, Mapping):
            raise InvalidHubPayload(f"{path or 'the document'} must be an object")
        self.data = data
        self.path = path

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _get(self, key: str, default: Any) -> Any:
        value = self.data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if default is _MISSING:
                raise InvalidHubPayload(f"{self._at(key)} is missing")
            return default
        return value

    def int(self, key: str, default: Any = _MISSING, *, minimum: int = 0) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidHubPayload(f"{self._at(key)} must be an integer, got {value!r:.40}")
        if value < minimum or value > 2**53:
            raise InvalidHubPayload(f"{self._at(key)} is out of range: {value}")
        return value

    def number(self, key: str, default: Any = _MISSING) -> float:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidHubPayload(f"{self._at(key)} must be a number, got {value!r:.40}")
        if not 0 <= value < 1e15:
            raise InvalidHubPayload(f"{self._at(key)} is out of range: {value}")
        return float(value)

    def str(self, key: str, default: Any = _MISSING, *, max_length: int = 255) -> str:
        value = self._get(key, default)
        if not isinstance(value, str):
            raise InvalidHubPayload(f"{self._at(key)} must be a string, got {value!r:.40}")
        if len(value) > max_length:
            raise InvalidHubPayload(f"{self._at(key)} is longer than {max_length} characters")
        return value

    def url(self, key: str, default: Any = _MISSING, *, max_length: int = 1000) -> str:
        value = self.str(key, default, max_length=max_length)
        if value and not value.startswith(("https://", "http://")):
            raise InvalidHubPayload(f"{self._at(key)} must be an http(s) URL")
        return value

    def bool(self, key: str, default: Any = _MISSING) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise InvalidHubPayload(f"{self._at(key)} must be true or false, got {value!r:.40}")
        return value

    def choice(self, key: str, choices: set[str], default: Any = _MISSING) -> str:
        value = self.str(key, default, max_length=64)
        if value not in choices and value != default:
            raise InvalidHubPayload(f"{self._at(key)} has an unknown value {value!r}")
        return value

    def datetime(self, key: str) -> datetime | None:
        value = self._get(key, None)
        if value is None:
            return None
        parsed = parse_datetime(value) if isinstance(value, str) else None
        if parsed is None:
            raise InvalidHubPayload(f"{self._at(key)} must be an ISO 8601 date-time")
        return parsed

    def strings(self, key: str, *, max_items: int = 500, max_length: int = 500) -> list[str]:
        value = self._get(key, [])
        if not isinstance(value, list) or len(value) > max_items:
            raise InvalidHubPayload(f"{self._at(key)} must be a list of at most {max_items}")
        for i, item in enumerate(value):
            if not isinstance(item, str) or len(item) > max_length:
                raise InvalidHubPayload(f"{self._at(key)}[{i}] must be a short string")
        return value

    def object(self, key: str) -> _Reader | None:
        value = self._get(key, None)
        return None if value is None else _Reader(value, self._at(key))

    def objects(self, key: str, *, max_items: int = 1000) -> list[_Reader]:
        value = self._get(key, [])
        if not isinstance(value, list) or len(value) > max_items:
            raise InvalidHubPayload(f"{self._at(key)} must be a list of at most {max_items}")
        return [_Reader(item, f"{self._at(key)}[{i}]") for i, item in enumerate(value)]

    def json(self, key: str, *, max_chars: int = 20_000) -> dict[str, Any] | None:
        value = self._get(key, None)
        if value is None:
            return None
        if not isinstance(value, dict) or len(repr(value)) > max_chars:
            raise InvalidHubPayload(f"{self._at(key)} must be a small object")
        return value


@dataclass(frozen=True)
class HubImage:
    external_id: str
    url: str
    type: str
    nsfw_level: int
    width: int | None
    height: int | None
    blurhash: str
    meta: dict[str, Any] | None
    has_meta: bool
    on_site: bool


@dataclass(frozen=True)
class HubFile:
    external_id: str
    name: str
    type: str
    size_kb: float
    primary: bool
    format: str
    fp: str
    size_variant: str
    download_url: str
    hashes: dict[str, str]
    pickle_scan_result: str
    pickle_scan_message: str
    virus_scan_result: str
    virus_scan_message: str
    scanned_at: datetime | None


@dataclass(frozen=True)
class HubVersion:
    external_id: str
    index: int
    name: str
    description: str
    base_model: str
    base_model_type: str
    trained_words: list[str]
    nsfw_level: int
    status: str
    availability: str
    early_access_time_frame: int
    early_access_ends_at: datetime | None
    published_at: datetime | None
    hub_created_at: datetime | None
    hub_updated_at: datetime | None
    stats: dict[str, int | float]
    files: list[HubFile]
    images: list[HubImage]


@dataclass(frozen=True)
class HubModel:
    external_id: str
    name: str
    description: str
    type: str
    creator_username: str | None
    creator_image: str
    tags: list[str]
    nsfw: bool
    nsfw_level: int
    poi: bool
    minor: bool
    sfw_only: bool
    mode: str
    availability: str
    allow_no_credit: bool
    allow_commercial_use: list[str]
    allow_derivatives: bool
    allow_different_license: bool
    stats: dict[str, int | float]
    versions: list[HubVersion]


_SCAN_RESULTS = {"Pending", "Success", "Danger", "Error"}


def _hashes(reader: _Reader | None) -> dict[str, str]:
    if reader is None:
        return {}
    by_lower = {name.lower(): name for name in HASH_LENGTHS}
    hashes: dict[str, str] = {}
    for key in reader.data:
        name = by_lower.get(str(key).lower())
        if name is None:
            continue  # a hash kind we do not know yet; ignore rather than reject
        value = reader.str(key, max_length=128)
        if len(value) != HASH_LENGTHS[name] or not _HEX.match(value):
            raise InvalidHubPayload(
                f"{reader._at(key)} must be {HASH_LENGTHS[name]} hexadecimal digits"
            )
        hashes[name] = value.upper()
    return hashes


def _stats(reader: _Reader | None, fields: dict[str, str]) -> dict[str, int | float]:
    if reader is None:
        return {}
    stats: dict[str, int | float] = {}
    for hub_name, our_name in fields.items():
        if our_name == "rating":
            stats[our_name] = min(reader.number(hub_name, 0.0), 5.0)
        else:
            stats[our_name] = min(reader.int(hub_name, 0), 2**31 - 1)
    return stats


_MODEL_STATS = {
    "downloadCount": "download_count",
    "favoriteCount": "favorite_count",
    "thumbsUpCount": "thumbs_up_count",
    "thumbsDownCount": "thumbs_down_count",
    "commentCount": "comment_count",
    "ratingCount": "rating_count",
    "rating": "rating",
    "tippedAmountCount": "tipped_amount_count",
}
_VERSION_STATS = {
    "downloadCount": "download_count",
    "ratingCount": "rating_count",
    "rating": "rating",
    "thumbsUpCount": "thumbs_up_count",
    "thumbsDownCount": "thumbs_down_count",
}


def _image(r: _Reader) -> HubImage:
    meta = r.json("meta")
    return HubImage(
        external_id=str(r.int("id")),
        url=r.url("url"),
        type=r.str("type", "image", max_length=16),
        nsfw_level=r.int("nsfwLevel", 1),
        width=r.int("width", None) if r.data.get("width") is not None else None,
        height=r.int("height", None) if r.data.get("height") is not None else None,
        blurhash=r.str("hash", "", max_length=64),
        meta=meta,
        has_meta=r.bool("hasMeta", meta is not None),
        on_site=r.bool("onSite", False),
    )


def _file(r: _Reader) -> HubFile:
    metadata = r.object("metadata")
    return HubFile(
        external_id=str(r.int("id")),
        name=r.str("name"),
        type=r.str("type", "Model", max_length=32),
        size_kb=r.number("sizeKB", 0.0),
        primary=r.bool("primary", False),
        format=metadata.str("format", "", max_length=32) if metadata else "",
        fp=metadata.str("fp", "", max_length=16) if metadata else "",
        size_variant=metadata.str("size", "", max_length=16) if metadata else "",
        download_url=r.url("downloadUrl", "", max_length=500),
        hashes=_hashes(r.object("hashes")),
        pickle_scan_result=r.choice("pickleScanResult", _SCAN_RESULTS, "Pending"),
        pickle_scan_message=r.str("pickleScanMessage", "", max_length=10_000),
        virus_scan_result=r.choice("virusScanResult", _SCAN_RESULTS, "Pending"),
        virus_scan_message=r.str("virusScanMessage", "", max_length=10_000),
        scanned_at=r.datetime("scannedAt"),
    )


def _version(r: _Reader, position: int) -> HubVersion:
    files = [_file(f) for f in r.objects("files")]
    if sum(f.primary for f in files) > 1:
        raise InvalidHubPayload(f"{r.path}.files has more than one primary file")
    return HubVersion(
        external_id=str(r.int("id")),
        index=r.int("index", position),
        name=r.str("name"),
        description=r.str("description", "", max_length=200_000),
        base_model=r.str("baseModel", "Other", max_length=64),
        base_model_type=r.str("baseModelType", "", max_length=32),
        trained_words=r.strings("trainedWords"),
        nsfw_level=r.int("nsfwLevel", 1),
        status=r.str("status", "Published", max_length=32),
        availability=r.str("availability", "Public", max_length=32),
        early_access_time_frame=r.int("earlyAccessTimeFrame", 0),
        early_access_ends_at=r.datetime("earlyAccessEndsAt"),
        published_at=r.datetime("publishedAt"),
        hub_created_at=r.datetime("createdAt"),
        hub_updated_at=r.datetime("updatedAt"),
        stats=_stats(r.object("stats"), _VERSION_STATS),
        files=files,
        images=[_image(i) for i in r.objects("images")],
    )


def parse_civitai_model(document: Any) -> HubModel:
    """Validate one item of CivitAI's ``/api/v1/models`` (or ``/models/{id}``) response."""
    r = _Reader(document, "")
    creator = r.object("creator")
    commercial = r._get("allowCommercialUse", [])
    # Older API answers carry a single string ("Sell") instead of a list.
    if isinstance(commercial, str):
        commercial = [] if commercial == "None" else [commercial]
    known_uses = {use.value for use in CommercialUse}
    if not isinstance(commercial, list) or not set(commercial) <= known_uses:
        raise InvalidHubPayload(
            f"allowCommercialUse must be a list drawn from {sorted(known_uses)}"
        )
    model_type = r.str("type", max_length=32)
    if model_type not in ModelType.values:
        raise InvalidHubPayload(f"type has an unknown value {model_type!r}")
    mode = r._get("mode", "")
    if mode not in {"", *ModelMode.values}:
        raise InvalidHubPayload(f"mode has an unknown value {mode!r:.40}")
    versions = [_version(v, i) for i, v in enumerate(r.objects("modelVersions"))]
    if len({v.external_id for v in versions}) != len(versions):
        raise InvalidHubPayload("modelVersions lists the same version id twice")
    return HubModel(
        external_id=str(r.int("id")),
        name=r.str("name"),
        description=r.str("description", "", max_length=200_000),
        type=model_type,
        creator_username=creator.str("username", max_length=150) if creator else None,
        creator_image=creator.url("image", "", max_length=500) if creator else "",
        tags=[t.strip().lower() for t in r.strings("tags", max_length=100) if t.strip()],
        nsfw=r.bool("nsfw", False),
        nsfw_level=r.int("nsfwLevel", 1),
        poi=r.bool("poi", False),
        minor=r.bool("minor", False),
        sfw_only=r.bool("sfwOnly", False),
        mode=mode,
        availability=r.str("availability", "Public", max_length=32),
        allow_no_credit=r.bool("allowNoCredit", True),
        allow_commercial_use=list(dict.fromkeys(commercial)),
        allow_derivatives=r.bool("allowDerivatives", True),
        allow_different_license=r.bool("allowDifferentLicense", True),
        stats=_stats(r.object("stats"), _MODEL_STATS),
        versions=versions,
    )
