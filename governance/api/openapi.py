"""The OpenAPI generator: drf-spectacular's, plus the error responses every operation can give.

Every error leaves the API as one RFC 9457 problem document (``governance.errors``). Which
statuses an operation can answer with follows from what it is, so they are derived here once
instead of being repeated on every view:

- every operation: 401 (no or bad credentials), 403 (permission or API-key scope), 429
  (throttled, with ``Retry-After``);
- 400 when it changes something (a body, an ``Idempotency-Key``, a service's validation) or
  takes query parameters;
- 404 when its path names an object, or its listing is paginated (a page past the end);
- 409 and 422 for changes (a conflicting state; an ``Idempotency-Key`` reused for another
  request or a body that is well-formed but refused); 415 when it takes a body;
- anything else a view declares in ``problem_statuses`` (``{action or method: [410, …]}``).

Operations decorated with ``@idempotent`` also document the ``Idempotency-Key`` header.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import permissions

from governance.errors import PROBLEM_CONTENT_TYPE

from .idempotency import HEADER as IDEMPOTENCY_HEADER

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem document: the one shape of every API error.",
    "properties": {
        "type": {"type": "string", "example": "urn:hubgate:problem:not_found"},
        "title": {"type": "string", "example": "Not found"},
        "status": {"type": "integer", "example": 404},
        "detail": {"type": "string", "example": "No model with id 7."},
        "code": {"type": "string", "example": "not_found"},
        "errors": {
            "type": "object",
            "description": "Validation errors: field name to messages.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["type", "title", "status", "detail", "code"],
}

#: status → (component name, description, headers)
PROBLEMS: dict[int, tuple[str, str, dict[str, Any]]] = {
    400: ("BadRequest", "Invalid input: `errors` names each field and what is wrong.", {}),
    401: (
        "Unauthorized",
        "No credentials, or an invalid, expired or revoked API key.",
        {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer realm."}},
    ),
    403: ("Forbidden", "The user may not do this, or the API key lacks the scope.", {}),
    404: ("NotFound", "No such object (or one you may not see), or no such page.", {}),
    409: ("Conflict", "The object's state does not allow this now.", {}),
    410: ("Gone", "The object was retired and may no longer be used.", {}),
    415: ("UnsupportedMediaType", "The request body's media type is not accepted.", {}),
    416: (
        "RangeNotSatisfiable",
        "The Range lies outside the file (no body).",
        {"Content-Range": {"schema": {"type": "string"}, "description": "bytes */SIZE"}},
    ),
    422: (
        "Unprocessable",
        "Well-formed but refused: an Idempotency-Key reused for another request, hashes "
        "that do not match, …",
        {},
    ),
    429: (
        "TooManyRequests",
        "Throttled: too many requests for this API key.",
        {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
    ),
    503: ("ServiceUnavailable", "A plugin the operation depends on failed (fails closed).", {}),
}

_CHANGES = {"POST", "PUT", "PATCH", "DELETE"}
#: Statuses answered without a body (the byte-range answers of file downloads).
_NO_BODY = {416}


def is_idempotent(func: Any) -> bool:
    return bool(getattr(func, "idempotent", False))


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema with Hubgate's error responses and headers."""

    def _view_method(self) -> Any:
        action = getattr(self.view, "action", None)
        return getattr(self.view, action or self.method.lower(), None)

    def _problem_key(self) -> str:
        return getattr(self.view, "action", None) or self.method.lower()

    def get_override_parameters(self) -> list:
        parameters = list(super().get_override_parameters())
        if is_idempotent(self._view_method()):
            parameters.append(
                OpenApiParameter(
                    IDEMPOTENCY_HEADER,
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    description="Any unique string (1 to 255 printable characters): a repeat "
                    "with the same key and body returns the first answer "
                    "(`Idempotent-Replayed: true`) instead of running again.",
                )
            )
        return parameters

    def _takes_body(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH") and bool(self._get_request_body())

    def _has_query(self, name: str | None = None) -> bool:
        return any(
            p.get("in") == "query" and name in (None, p.get("name")) for p in self._get_parameters()
        )

    def _problem_statuses(self) -> set[int]:
        statuses = {401, 403}
        if self.view.get_throttles():
            statuses.add(429)
        if self.method in _CHANGES or self._has_query():
            statuses.add(400)
        paginated = self._is_list_view() and self._get_paginator() is not None
        if "{" in self.path or paginated or self._has_query("format"):
            statuses.add(404)  # DRF answers an unknown ?format= with 404
        if self.method in _CHANGES:
            statuses |= {409, 422}
        if self._takes_body():
            statuses.add(415)
        declared = getattr(self.view, "problem_statuses", {})
        statuses |= set(declared.get(self._problem_key(), ()))
        if not self._needs_credentials():
            statuses -= {401, 403}
        return statuses

    def _needs_credentials(self) -> bool:
        return not all(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions())

    def _problem_response(self, status: int) -> dict[str, Any]:
        name, description, headers = PROBLEMS[status]
        problem = ResolvedComponent(
            name="Problem", type=ResolvedComponent.SCHEMA, object="Problem", schema=PROBLEM_SCHEMA
        )
        self.registry.register_on_missing(problem)
        response: dict[str, Any] = {"description": description}
        if status not in _NO_BODY:
            response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": problem.ref}}
        if headers:
            response["headers"] = headers
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.RESPONSE, object=name, schema=response
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction=direction)
        if direction != "response":
            return responses
        for status in sorted(self._problem_statuses()):
            responses.setdefault(str(status), self._problem_response(status))
        return responses
