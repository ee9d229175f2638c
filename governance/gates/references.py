"""What a CI job may name a model file or version by: a hash, an id, a CivitAI URL, an AIR.

- SHA256 (64 hex digits) or AutoV2 (its first 10), any case;
- a Hubgate version id: ``1234``;
- a CivitAI model page ``https://civitai.com/models/123?modelVersionId=456`` (without
  ``modelVersionId``: the model's newest version) or download link
  ``https://civitai.com/api/download/models/456``;
- an AIR (CivitAI's AI resource name): ``urn:air:sdxl:lora:civitai:123@456``, optionally with
  a ``.format`` suffix; without ``@456`` the model's newest version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

_HEX = re.compile(r"[0-9A-Fa-f]+")
_AIR = re.compile(
    r"urn:air:(?P<ecosystem>[^:]+):(?P<type>[^:]+):(?P<source>[^:]+):"
    r"(?P<id>[^@.:]+)(?:@(?P<version>[^.:]+))?(?:\.(?P<format>[^:]+))?"
)
_CIVITAI_HOSTS = ("civitai.com", "civitai.green")


@dataclass(frozen=True)
class Reference:
    """A parsed reference. ``kind`` is sha256, autov2, version (a Hubgate id) or civitai
    (a CivitAI model id and, when given, version id)."""

    kind: str
    value: str = ""
    model_id: str = ""
    version_id: str = ""

    def describe(self) -> str:
        if self.kind == "civitai":
            version = f" version {self.version_id}" if self.version_id else " (newest version)"
            return f"CivitAI model {self.model_id or '?'}{version}"
        if self.kind == "version":
            return f"version {self.value}"
        return f"{'SHA256' if self.kind == 'sha256' else 'AutoV2'} {self.value}"


def parse_hash(text: str) -> Reference:
    """A SHA256 or AutoV2 hash, upper-cased; ValueError for anything else."""
    value = text.strip()
    if not _HEX.fullmatch(value) or len(value) not in (64, 10):
        raise ValueError("a hash is a SHA256 (64 hex digits) or an AutoV2 (10 hex digits)")
    return Reference("sha256" if len(value) == 64 else "autov2", value.upper())


def parse_reference(text: str) -> Reference:
    """Any reference a CI job may give (see the module docstring); ValueError if none fits."""
    value = text.strip()
    if value.isdigit() and len(value) < 19:
        return Reference("version", str(int(value)))
    if _HEX.fullmatch(value) and len(value) in (64, 10):
        return parse_hash(value)
    if value.lower().startswith("urn:air:"):
        return _parse_air(value)
    if value.lower().startswith(("http://", "https://")):
        return _parse_civitai_url(value)
    raise ValueError(
        "not a hash, a version id, a CivitAI URL or an AIR (urn:air:…:civitai:MODEL@VERSION)"
    )


def _numeric(value: str | None, what: str) -> str:
    if value is None or value == "":
        return ""
    if not value.isdigit() or len(value) > 18:
        raise ValueError(f"the {what} must be a number, not {value!r}")
    return str(int(value))


def _parse_air(value: str) -> Reference:
    match = _AIR.fullmatch(value)
    if match is None:
        raise ValueError("an AIR looks like urn:air:ECOSYSTEM:TYPE:civitai:MODEL@VERSION")
    if match["source"].lower() != "civitai":
        raise ValueError(f"AIR source {match['source']!r} is not supported (only civitai)")
    return Reference(
        "civitai",
        model_id=_numeric(match["id"], "AIR model id"),
        version_id=_numeric(match["version"], "AIR version id"),
    )


def _parse_civitai_url(value: str) -> Reference:
    parts = urlsplit(value)
    host = (parts.hostname or "").lower()
    if not any(host == h or host.endswith("." + h) for h in _CIVITAI_HOSTS):
        raise ValueError(f"{host or 'that'} is not a CivitAI address")
    segments = [s for s in parts.path.split("/") if s]
    query = parse_qs(parts.query)
    if segments[:3] == ["api", "download", "models"] and len(segments) >= 4:
        return Reference("civitai", version_id=_numeric(segments[3], "version id"))
    if len(segments) >= 2 and segments[0] == "models":
        version = (query.get("modelVersionId") or [""])[0]
        return Reference(
            "civitai",
            model_id=_numeric(segments[1], "model id"),
            version_id=_numeric(version, "modelVersionId"),
        )
    raise ValueError("a CivitAI URL names /models/ID[?modelVersionId=N] or /api/download/models/N")
