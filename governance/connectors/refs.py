"""Reading what a person pastes to name a CivitAI model: an id, a URL, an AIR or a hash.

- ``123`` or ``123@456`` — a model id (with one of its versions);
- ``https://civitai.com/models/123/slug?modelVersionId=456``, ``…/api/v1/models/123``,
  ``…/api/v1/model-versions/456``, ``…/api/download/models/456`` — the host does not matter:
  ids are read from the path and the model is always fetched from the configured hub;
- ``urn:air:sdxl:lora:civitai:123@456`` (an AI Resource Identifier; ecosystem and type may be
  left out, the source must be ``civitai``);
- a file hash CivitAI publishes: AutoV1/CRC32 (8 hex digits), AutoV2 (10), AutoV3 (12),
  SHA256/BLAKE3 (64). A string of digits only is an id; write ``hash:12345678`` for a hash
  that happens to be all digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from .errors import InvalidReference

_HASH_LENGTHS = {8, 10, 12, 64}
_HEX = re.compile(r"\A[0-9A-Fa-f]+\Z")
_ID = re.compile(r"\A[1-9][0-9]{0,15}\Z")
_AIR = re.compile(
    r"\A(?:urn:)?(?:air:)?(?:(?P<ecosystem>[\w\-/]+):)?(?:(?P<type>[\w\-/]+):)?"
    r"(?P<source>[\w\-/]+):(?P<id>[\w\-]+)(?:@(?P<version>[\w\-]+))?(?:\.(?P<format>\w+))?\Z"
)
_PATHS = [
    (re.compile(r"\A/models/(?P<model>\d+)(?:/[^/]*)?/?\Z"), "model"),
    (re.compile(r"\A/api/v1/models/(?P<model>\d+)/?\Z"), "model"),
    (re.compile(r"\A/api/v1/model-versions/(?P<version>\d+)/?\Z"), "version"),
    (re.compile(r"\A/api/download/models/(?P<version>\d+)/?\Z"), "version"),
]


@dataclass(frozen=True)
class HubRef:
    """What a reference names: a model, a version (model unknown yet) or a file hash."""

    model_id: int | None = None
    version_id: int | None = None
    hash: str | None = None

    def __str__(self) -> str:
        if self.hash:
            return f"hash {self.hash}"
        if self.model_id and self.version_id:
            return f"model {self.model_id} version {self.version_id}"
        if self.model_id:
            return f"model {self.model_id}"
        return f"version {self.version_id}"


def _id(value: str | None, what: str) -> int | None:
    if value is None:
        return None
    if not _ID.match(value) or int(value) > 2**53:
        raise InvalidReference(f"{what} {value!r:.40} is not a CivitAI id")
    return int(value)


def _hash(value: str) -> str:
    if len(value) not in _HASH_LENGTHS or not _HEX.match(value):
        raise InvalidReference(
            f"{value!r:.80} is not a file hash CivitAI publishes (8, 10, 12 or 64 hex digits)"
        )
    return value.upper()


def parse_reference(text: str) -> HubRef:
    """The model, version or hash ``text`` names; InvalidReference if it names none."""
    value = (text or "").strip()
    if not value or len(value) > 2000:
        raise InvalidReference("Give a CivitAI model id, URL, AIR or file hash.")
    if value.lower().startswith("hash:"):
        return HubRef(hash=_hash(value[5:].strip()))
    if _ID.match(value):
        return HubRef(model_id=_id(value, "model id"))
    if "@" in value and not value.startswith(("urn:", "air:")) and ":" not in value:
        model, _, version = value.partition("@")
        return HubRef(model_id=_id(model, "model id"), version_id=_id(version, "version id"))
    if value.lower().startswith(("urn:air:", "air:")) or value.lower().startswith("civitai:"):
        return _parse_air(value)
    if "/" in value or "." in value:
        if "://" not in value:
            value = "https://" + value
        return _parse_url(value)
    if _HEX.match(value):
        return HubRef(hash=_hash(value))
    raise InvalidReference(f"{text!r:.80} is not a CivitAI model id, URL, AIR or file hash")


def _parse_air(value: str) -> HubRef:
    match = _AIR.match(value)
    if not match:
        raise InvalidReference(f"{value!r:.80} is not a valid AIR")
    if match["source"].lower() != "civitai":
        raise InvalidReference(f"This AIR names a {match['source']} resource, not a CivitAI one")
    return HubRef(
        model_id=_id(match["id"], "AIR model id"),
        version_id=_id(match["version"], "AIR version id"),
    )


def _parse_url(value: str) -> HubRef:
    try:
        parts = urlsplit(value)
    except ValueError:
        raise InvalidReference(f"{value!r:.80} is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidReference("Only http(s) URLs name a CivitAI model")
    query = parse_qs(parts.query)
    for pattern, kind in _PATHS:
        match = pattern.match(parts.path)
        if match is None:
            continue
        if kind == "version":
            return HubRef(version_id=_id(match["version"], "version id"))
        version = (query.get("modelVersionId") or [None])[0]
        return HubRef(
            model_id=_id(match["model"], "model id"), version_id=_id(version, "modelVersionId")
        )
    raise InvalidReference(f"{value!r:.80} is not the URL of a CivitAI model or version")
