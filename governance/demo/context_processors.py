"""The demo's line on the sign-in page; local and test settings add this context processor."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from governance.accounts.models import User

from .approvals import REVIEWERS
from .catalog import DEMO_PASSWORD, DEMO_USERS


def sign_in_hint() -> str:
    """On a development server with the demo loaded: who to sign in as (else "")."""
    if not settings.DEBUG or not User.objects.filter(username="alice").exists():
        return ""
    names = ", ".join([u[0] for u in DEMO_USERS] + [r[0] for r in REVIEWERS])
    return f"Demo: sign in as any of {names} with the password {DEMO_PASSWORD}."


def demo(request: HttpRequest) -> dict:
    """``demo_sign_in_hint`` for templates; a callable, so only a page that shows it (the
    sign-in page) pays for its query. Without the demo app the variable is simply absent."""
    return {"demo_sign_in_hint": sign_in_hint}
