"""API keys over ``Authorization: Bearer hg_…`` and the scopes they carry."""

from __future__ import annotations

from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.request import Request

from governance.accounts.models import ApiKey
from governance.accounts.services import check_api_key
from governance.net import client_address


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <key>``; an invalid, expired or revoked key is a 401."""

    keyword = "Bearer"

    def authenticate(self, request: Request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        return self.authenticate_key(raw.strip())

    def authenticate_key(self, raw: str):
        key = check_api_key(raw)
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API key.")
        return key.user, key

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="hubgate"'


def request_scopes(request: Request) -> set[str] | None:
    """The scopes of the request's API key, or None for a signed-in session (all scopes)."""
    return set(request.auth.scopes) if isinstance(request.auth, ApiKey) else None


class HasScope(permissions.BasePermission):
    """An API key must carry the view's scope: ``read`` for safe methods, and for changes
    the view's ``required_scope`` (default ``admin``). Sessions are not limited by scopes."""

    message = "This API key lacks the scope this call needs."

    def has_permission(self, request: Request, view) -> bool:
        scopes = request_scopes(request)
        if scopes is None:
            return True
        if ApiKey.Scope.ADMIN in scopes:
            return True
        if request.method in permissions.SAFE_METHODS:
            needed = getattr(view, "read_scope", ApiKey.Scope.READ)
        else:
            action_scopes = getattr(view, "action_scopes", {})
            needed = action_scopes.get(getattr(view, "action", None)) or getattr(
                view, "required_scope", ApiKey.Scope.ADMIN
            )
        return needed in scopes


class ApiKeyRateThrottle(throttling.SimpleRateThrottle):
    """Requests per API key (per user for sessions), rate from ``HUBGATE_API_RATE``."""

    scope = "apikey"

    def get_cache_key(self, request: Request, view) -> str | None:
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def get_ident(self, request: Request) -> str:
        # DRF's own trusts any X-Forwarded-For: a client would get a fresh bucket per request.
        return client_address(request)
