"""Domain exceptions, and the one place that turns errors into the API's error shape.

Every API error is an RFC 9457 problem document (``application/problem+json``)::

    {"type": "urn:hubgate:problem:not_found", "title": "Not found", "status": 404,
     "detail": "No model with id 7.", "code": "not_found"}

Validation errors add ``errors``: a mapping of field name to a list of messages.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response

PROBLEM_CONTENT_TYPE = "application/problem+json"


class HubgateError(Exception):
    """Base of every domain error; ``status`` and ``code`` say how it reaches an API client."""

    status = 400
    code = "error"
    title = "Request failed"

    def __init__(self, detail: str, *, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class ValidationFailed(HubgateError):
    code = "invalid"
    title = "Invalid input"


class InvalidReference(HubgateError, ValueError):
    """Not a version id, CivitAI URL or AIR, or file hash (``governance.catalog.references``).

    Also a ``ValueError``, so form and serializer validation treat it as bad input.
    """

    status = 400
    code = "invalid_reference"
    title = "Not a model reference"


class InvalidHubPayload(ValidationFailed):
    """A hub answered with data that does not have the shape its API documents."""

    code = "invalid_hub_payload"
    title = "Invalid data from the hub"


class HashMismatch(HubgateError):
    """Received bytes differ from the hashes or size the hub published for them."""

    status = 422
    code = "hash_mismatch"
    title = "Hash mismatch"


class PermissionDenied(HubgateError):
    status = 403
    code = "permission_denied"
    title = "Permission denied"


class UsageRefused(HubgateError):
    """A version may not be used: not approved for the caller's teams (403) or retired (410)."""

    code = "usage_refused"
    title = "Version not usable"

    def __init__(self, detail: str, *, status: int = 403) -> None:
        super().__init__(detail)
        self.status = status
        self.code = "retired" if status == 410 else "usage_refused"


class NotFound(HubgateError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(HubgateError):
    status = 409
    code = "conflict"
    title = "Conflict"


class QuotaExceeded(HubgateError):
    """An upload would take a user or a team past a storage quota (nothing was written)."""

    status = 413
    code = "quota_exceeded"
    title = "Quota exceeded"

    def __init__(self, detail: str, *, quota: str, used: int, requested: int, limit: int) -> None:
        super().__init__(detail)
        #: RFC 9457 extension members, so a client can tell which quota and by how much.
        self.extensions = {"quota": quota, "used": used, "requested": requested, "limit": limit}


def problem(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: Any = None,
    extensions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The problem document for one error (``extensions``: RFC 9457 extension members)."""
    body: dict[str, Any] = {
        "type": f"urn:hubgate:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    for name, value in (extensions or {}).items():
        body.setdefault(name, value)  # never shadow a standard member
    return body


_DRF_TITLES = {
    400: "Invalid input",
    401: "Not authenticated",
    403: "Permission denied",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    415: "Unsupported media type",
    429: "Too many requests",
}


def _field_errors(data: Any) -> dict[str, list[str]]:
    if isinstance(data, dict):
        return {
            str(key): [str(m) for m in (value if isinstance(value, list) else [value])]
            for key, value in data.items()
        }
    return {"non_field_errors": [str(m) for m in (data if isinstance(data, list) else [data])]}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error leaves the API as a problem document."""
    if isinstance(exc, HubgateError):
        body = problem(
            status=exc.status,
            code=exc.code,
            title=exc.title,
            detail=exc.detail,
            errors=exc.errors,
            extensions=getattr(exc, "extensions", None),
        )
        return Response(body, status=exc.status, content_type=PROBLEM_CONTENT_TYPE)
    # Imported here: rest_framework.views loads DRF settings, which import our auth classes.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DataError):
        # A value the database cannot hold (a NUL character in a slug or a filter, on
        # PostgreSQL) is bad input, not a server error; nothing was written.
        body = problem(
            status=400,
            code="invalid",
            title=_DRF_TITLES[400],
            detail="The request holds a value that cannot be stored (e.g. a NUL character).",
        )
        return Response(body, status=400, content_type=PROBLEM_CONTENT_TYPE)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handling, logged with a traceback
    status = response.status_code
    assert isinstance(exc, drf_exceptions.APIException)
    if isinstance(exc, drf_exceptions.ValidationError):
        body = problem(
            status=status,
            code="invalid",
            title=_DRF_TITLES[400],
            detail="The request has invalid fields.",
            errors=_field_errors(exc.detail),
        )
    else:
        detail = exc.detail
        codes = exc.get_codes()
        body = problem(
            status=status,
            code=codes if isinstance(codes, str) else exc.default_code,
            title=_DRF_TITLES.get(status, "Request failed"),
            detail=str(detail) if not isinstance(detail, list | dict) else str(exc.default_detail),
        )
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: a problem document under /api/, Django's page elsewhere."""
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    body = problem(
        status=404, code="not_found", title="Not found", detail=f"No route for {request.path}."
    )
    return JsonResponse(body, status=404, content_type=PROBLEM_CONTENT_TYPE)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the traceback goes to the log, never to the client."""
    if not _is_api(request):
        return defaults.server_error(request)
    body = problem(
        status=500,
        code="server_error",
        title="Server error",
        detail="Hubgate failed to answer this request; the error was logged.",
    )
    return JsonResponse(body, status=500, content_type=PROBLEM_CONTENT_TYPE)
