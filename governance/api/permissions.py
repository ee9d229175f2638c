"""Who may call the administrative endpoints (teams, service accounts, the audit log)."""

from __future__ import annotations

from collections.abc import Iterable

from rest_framework import permissions
from rest_framework.request import Request

from governance.errors import PermissionDenied

from .authentication import HasScope, request_scopes
from .scopes import Scope


class IsAdministrator(permissions.BasePermission):
    """A platform administrator (``is_staff``). With an API key, ``HasScope`` still applies:
    views using this set ``read_scope``/``required_scope`` to ``admin``."""

    message = "Only an administrator may do this."

    def has_permission(self, request: Request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)


#: The permission classes of an administrators-only endpoint.
ADMIN_ONLY = [
    permissions.IsAuthenticated,
    HasScope,
    IsAdministrator,
]


def ensure_scopes_covered(request: Request, scopes: Iterable[str], *, doing: str) -> None:
    """An API key may only create (or revoke) keys whose scopes it holds itself, so a leaked
    narrow key can neither widen itself nor take away a wider one. Sessions are not limited."""
    held = request_scopes(request)
    if held is None or Scope.ADMIN in held:
        return
    missing = set(scopes) - held
    if missing:
        raise PermissionDenied(
            f"This API key cannot {doing} a key with scopes it lacks: {', '.join(sorted(missing))}."
        )
