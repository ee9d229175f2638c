"""The one reading of what a person or a CI job pastes to name a model, a version or a file.

Every route that takes a reference (the CI check, the CivitAI connector's import, the portal's
import form, ``manage.py civitai import``) parses it here, so one spelling means one thing
everywhere. One interpretation per form:

==========================================================  =======================================
form                                                        names
==========================================================  =======================================
``1234`` (digits only)                                      the Hubgate version with that id
``civitai:123``, ``civitai:123@456``                        CivitAI model 123 (its version 456)
``urn:air:sdxl:lora:civitai:123@456[.format]``,             the same, as an AIR; ecosystem and type
``air:sdxl:lora:civitai:123``                               may be left out; the source must be
                                                            ``civitai``
``https://civitai.com/models/123[/slug][?modelVersionId=``  CivitAI model 123 (version 456); also
``456]``, ``…/api/v1/models/123``                           without ``https://``
``https://civitai.com/api/download/models/456``,            CivitAI version 456 (model unknown)
``…/api/v1/model-versions/456``
8, 10, 12 or 64 hex digits, not all digits                  a file hash CivitAI publishes: AutoV1 or
                                                            CRC32 (8), AutoV2 (10), AutoV3 (12),
                                                            SHA256 or BLAKE3 (64); any case
``hash:0123456789``                                         a hash that happens to be all digits
==========================================================  =======================================

A bare number is a Hubgate version id because that is what the CI check documents (and a
changed meaning there would silently check something else); a CivitAI model id is always
written with ``civitai:`` (or as a URL or an AIR), so ``123@456`` alone is refused with that
hint. URLs must be on civitai.com, civitai.green or the configured hub
(``HUBGATE_CIVITAI_BASE_URL``): a path on another host is not a CivitAI id.

The standalone CI client (``clients/hubgate-cli``) cannot import this module; it only sorts
its arguments into files, hashes and references by the same table, and
``tests/catalog/test_references.py`` holds both to one shared list of cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.conf import settings

from governance.errors import InvalidReference

__all__ = [
    "CIVITAI",
    "HASH",
    "VERSION",
    "InvalidReference",
    "Reference",
    "parse_hash",
    "parse_reference",
]

#: The three things a reference can name.
HASH, VERSION, CIVITAI = "hash", "version", "civitai"

#: Hash kinds by length; 64 is SHA256 or BLAKE3 and 8 AutoV1 or CRC32, which CivitAI's
#: by-hash lookup tells apart itself. The catalog stores ``sha256`` and ``autov2``.
HASH_KINDS = {8: "autov1", 10: "autov2", 12: "autov3", 64: "sha256"}

_MAX_ID = 2**53  # what a JavaScript client can hold, and far beyond any real id
_HEX = re.compile(r"\A[0-9A-Fa-f]+\Z")
_ID = re.compile(r"\A[0-9]{1,16}\Z")
_AIR = re.compile(
    r"\A(?:urn:)?(?:air:)?(?:(?P<ecosystem>[\w\-/]+):)?(?:(?P<type>[\w\-/]+):)?"
    r"(?P<source>[\w\-/]+):(?P<id>[\w\-]+)(?:@(?P<version>[\w\-]+))?(?:\.(?P<format>\w+))?\Z"
)
_PATHS = [
    (re.compile(r"\A/models/(?P<model>[^/]+)(?:/[^/]*)?/?\Z"), "model"),
    (re.compile(r"\A/api/v1/models/(?P<model>[^/]+)/?\Z"), "model"),
    (re.compile(r"\A/api/v1/model-versions/(?P<version>[^/]+)/?\Z"), "version"),
    (re.compile(r"\A/api/download/models/(?P<version>[^/]+)/?\Z"), "version"),
]
_CIVITAI_HOSTS = ("civitai.com", "civitai.green")


@dataclass(frozen=True)
class Reference:
    """What a reference names.

    ``kind`` is ``hash`` (``hash`` set, upper case), ``version`` (``version_id`` is a Hubgate
    version id) or ``civitai`` (``model_id`` and/or ``version_id`` are CivitAI's ids).
    """

    kind: str
    hash: str = ""
    model_id: int | None = None
    version_id: int | None = None

    @property
    def hash_kind(self) -> str:
        """``sha256``, ``autov1``, ``autov2`` or ``autov3`` (by length); "" if not a hash."""
        return HASH_KINDS.get(len(self.hash), "") if self.kind == HASH else ""

    def describe(self) -> str:
        if self.kind == HASH:
            return f"{'SHA256' if self.hash_kind == 'sha256' else self.hash_kind} {self.hash}"
        if self.kind == VERSION:
            return f"version {self.version_id}"
        if self.model_id is None:
            return f"CivitAI version {self.version_id}"
        version = f" version {self.version_id}" if self.version_id else " (newest version)"
        return f"CivitAI model {self.model_id}{version}"

    def __str__(self) -> str:
        return self.describe()


def parse_reference(text: str) -> Reference:
    """The hash, version or CivitAI model ``text`` names (see the module docstring).

    Raises :class:`InvalidReference` (a ``ValueError``) with the reason if it names none.
    """
    value = (text or "").strip()
    if not value or len(value) > 2000:
        raise InvalidReference("Give a version id, a CivitAI URL or AIR, or a file hash.")
    lowered = value.lower()
    if lowered.startswith("hash:"):
        return parse_hash(value[5:])
    if value.isascii() and value.isdigit():
        return Reference(VERSION, version_id=_id(value, "version id"))
    if re.fullmatch(r"[0-9]+@[0-9]+", value):
        raise InvalidReference(
            f"{value!r:.40} is not a reference: write civitai:{value} for CivitAI model "
            "and version ids"
        )
    if lowered.startswith(("urn:", "air:", "civitai:")):
        return _parse_air(value)
    if "://" in value or "/" in value:
        return _parse_url(value if "://" in value else "https://" + value)
    if _HEX.match(value) and len(value) in HASH_KINDS:
        return parse_hash(value)
    raise InvalidReference(
        f"{value!r:.80} is not a version id, a CivitAI URL or AIR (civitai:MODEL@VERSION), "
        "or a file hash"
    )


def parse_hash(text: str) -> Reference:
    """A file hash CivitAI publishes (8, 10, 12 or 64 hex digits), upper-cased."""
    value = (text or "").strip()
    if len(value) not in HASH_KINDS or not _HEX.match(value):
        raise InvalidReference(
            f"{value!r:.80} is not a file hash: SHA256 or BLAKE3 (64 hex digits), AutoV3 (12), "
            "AutoV2 (10), AutoV1 or CRC32 (8)"
        )
    return Reference(HASH, hash=value.upper())


def _id(value: str | None, what: str) -> int | None:
    if value is None or value == "":
        return None
    if not _ID.match(value) or not 0 < int(value) <= _MAX_ID:
        raise InvalidReference(f"the {what} {value!r:.40} is not an id (a positive number)")
    return int(value)


def _parse_air(value: str) -> Reference:
    match = _AIR.match(value)
    if match is None:
        raise InvalidReference(
            f"{value!r:.80} is not an AIR: urn:air:ECOSYSTEM:TYPE:civitai:MODEL@VERSION"
        )
    if match["source"].lower() != "civitai":
        raise InvalidReference(f"This AIR names a {match['source']} resource, not a CivitAI one")
    return Reference(
        CIVITAI,
        model_id=_id(match["id"], "AIR model id"),
        version_id=_id(match["version"], "AIR version id"),
    )


def _hosts() -> tuple[str, ...]:
    configured = urlsplit(getattr(settings, "HUBGATE_CIVITAI_BASE_URL", "")).hostname
    return (*_CIVITAI_HOSTS, configured) if configured else _CIVITAI_HOSTS


def _parse_url(value: str) -> Reference:
    try:
        parts = urlsplit(value)
        host = (parts.hostname or "").lower()
    except ValueError:
        raise InvalidReference(f"{value!r:.80} is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidReference("Only http(s) URLs name a CivitAI model")
    if not any(host == h or host.endswith("." + h) for h in _hosts()):
        raise InvalidReference(f"{host or 'that'} is not a CivitAI address")
    query = parse_qs(parts.query)
    for pattern, kind in _PATHS:
        match = pattern.match(parts.path)
        if match is None:
            continue
        if kind == "version":
            return Reference(CIVITAI, version_id=_id(match["version"], "version id"))
        version = (query.get("modelVersionId") or [None])[0]
        return Reference(
            CIVITAI,
            model_id=_id(match["model"], "model id"),
            version_id=_id(version, "modelVersionId"),
        )
    raise InvalidReference(
        "a CivitAI URL names /models/ID[?modelVersionId=N] or /api/download/models/N"
    )
