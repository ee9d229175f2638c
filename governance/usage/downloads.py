"""Serving a model file download and recording it: the one home for every route.

The REST API (``/api/files/{id}/download/``, which the portal links to) and the
CivitAI-compatible API (``/api/download/models/{versionId}``) both call ``serve_download``,
so a download answers with the same permission decision, headers, warnings and Range
handling, and is recorded as the same usage event, whichever way it was asked for. Each
route keeps only what is its own: how it finds the file (and the shape of its errors).

Team attribution: a download counts for the caller's team that was approved to use the
version (README, "Use": versions are downloaded "by the teams they were approved for"); the
oldest such team when several were. Staff using a version no team of theirs was approved
for are recorded without a team (aggregation then counts them for their first team).

Which states allow a use, and what a deprecated version warns, are the lifecycle's rules:
the lifecycle app, above this one, registers them with ``register_use_rule`` when it starts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date

from governance.accounts import permissions
from governance.catalog.models import ModelFile, ModelVersion
from governance.errors import HubgateError, UsageRefused
from governance.ingest.models import Blob
from governance.ingest.serving import blob_response
from governance.scanning.selectors import servable_reason

from .models import UsageEvent
from .services import record_usage


class NotServable(HubgateError):
    status = 403
    code = "not_servable"
    title = "File not available"


def ensure_servable(blob: Blob | None) -> Blob:
    """The blob, if its scan allows it to leave Hubgate; otherwise a clear refusal."""
    if blob is None:
        raise NotServable("This file has not been ingested into Hubgate yet.")
    reason = servable_reason(blob)
    if reason:
        raise NotServable(reason)
    return blob


class UseVerdict(Protocol):
    allowed: bool
    status: int
    reason: str
    warning: str
    sunset_at: datetime | None


UseRule = Callable[[object, ModelVersion], UseVerdict]
_use_rule: UseRule | None = None


def register_use_rule(rule: UseRule) -> None:
    """Install the rule deciding whether a person may use a version now (the lifecycle's
    ``usage_verdict``: state, deprecation and the permission module)."""
    global _use_rule
    _use_rule = rule


def authorize_download(*, user, version: ModelVersion) -> UseVerdict:
    """The use verdict of ``user`` on ``version``; ``UsageRefused`` (403, or 410 retired)
    when it does not allow the download. Without a registered rule nothing is served."""
    if _use_rule is None:
        raise UsageRefused("Downloads are not available: no use rule is installed.")
    verdict = _use_rule(user, version)
    if not verdict.allowed:
        raise UsageRefused(verdict.reason, status=verdict.status)
    return verdict


_UNSAFE = re.compile(r"[\x00-\x1f\x7f]+")


def header_text(text: str) -> str:
    """``text`` made safe for an HTTP header value: control characters (CR and LF above all,
    which would split the header) become one space, anything beyond ASCII a ``?``."""
    return _UNSAFE.sub(" ", text).encode("ascii", "replace").decode().strip()


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def deprecation_headers(verdict: UseVerdict) -> dict[str, str]:
    """The headers telling a client the version it downloads is deprecated (none if not)."""
    if not verdict.warning:
        return {}
    warning = header_text(verdict.warning)
    headers = {
        "Deprecation": "true",
        "Warning": f"299 hubgate {_quoted(warning)}",
        "X-Hubgate-Warning": warning,
    }
    if verdict.sunset_at is not None:
        headers["Sunset"] = http_date(verdict.sunset_at.timestamp())
    return headers


def _resumed(range_header: str) -> bool:
    """A Range that does not start at the first byte continues a download already counted."""
    return range_header.startswith("bytes=") and not range_header.startswith("bytes=0-")


def serve_download(
    *,
    request: HttpRequest,
    user,
    file: ModelFile,
    client: str,
    verdict: UseVerdict | None = None,
) -> HttpResponse:
    """The bytes of ``file`` for ``user`` (Range supported), with its headers, recorded as
    one download of its version by the team approved for it.

    ``verdict`` is ``authorize_download``'s answer when the route already asked (to refuse
    before choosing a file); otherwise it is asked here. Refusals raise ``UsageRefused``,
    an unservable file (quarantined, not stored) ``NotServable``. A download is recorded
    once: not for HEAD, a refused Range or the continuation of a resumed download.
    """
    version = file.version
    if verdict is None:
        verdict = authorize_download(user=user, version=version)
    response = blob_response(request, ensure_servable(file.blob), filename=file.name)
    for header, value in deprecation_headers(verdict).items():
        response[header] = value
    range_header = request.headers.get("Range", "")
    if (
        request.method == "GET"
        and response.status_code in (200, 206)
        and not _resumed(range_header)
    ):
        record_usage(
            kind=UsageEvent.Kind.DOWNLOAD,
            version=version,
            file=file,
            user=user,
            team=permissions.team_of_use(user, version),
            client=client,
            after=response,
            metadata={
                "file": file.name,
                "range": range_header,
                "user_agent": request.headers.get("User-Agent", "")[:200],
            },
        )
    return response
