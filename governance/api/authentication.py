"""The scopes an API key must carry for a call, and the rate limit per key. The API layer
sees a key only as ``request.auth`` with ``pk`` and ``scopes``: which keys exist and are
valid is ``governance.accounts``' business (``accounts.authentication``)."""

from __future__ import annotations

from rest_framework import permissions, throttling
from rest_framework.request import Request

from governance.net import client_address

from .scopes import Scope


def request_scopes(request: Request) -> set[str] | None:
    """The scopes of the request's API key, or None for a signed-in session (all scopes)."""
    scopes = getattr(request.auth, "scopes", None)
    return None if scopes is None else set(scopes)


class HasScope(permissions.BasePermission):
    """An API key must carry the view's scope: ``read`` for safe methods, and for changes
    the view's ``required_scope`` (default ``admin``). Sessions are not limited by scopes."""

    message = "This API key lacks the scope this call needs."

    def has_permission(self, request: Request, view) -> bool:
        scopes = request_scopes(request)
        if scopes is None:
            return True
        if Scope.ADMIN in scopes:
            return True
        if request.method in permissions.SAFE_METHODS:
            needed = getattr(view, "read_scope", Scope.READ)
        else:
            action_scopes = getattr(view, "action_scopes", {})
            needed = action_scopes.get(getattr(view, "action", None)) or getattr(
                view, "required_scope", Scope.ADMIN
            )
        return needed in scopes


class ApiKeyRateThrottle(throttling.SimpleRateThrottle):
    """Requests per API key (per user for sessions), rate from ``HUBGATE_API_RATE``."""

    scope = "apikey"

    def get_cache_key(self, request: Request, view) -> str | None:
        if request_scopes(request) is not None:
            ident = f"key:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def get_ident(self, request: Request) -> str:
        # DRF's own trusts any X-Forwarded-For: a client would get a fresh bucket per request.
        return client_address(request)
