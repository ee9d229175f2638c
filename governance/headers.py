"""Response headers Django's SecurityMiddleware and django-csp do not set.

``Permissions-Policy`` turns off browser features no Hubgate page uses (camera, microphone,
geolocation, payment, USB, …), so a script that slipped in could not ask for them either.
Bottom layer: Django only.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


class PermissionsPolicyMiddleware:
    """Adds ``Permissions-Policy`` (``HUBGATE_PERMISSIONS_POLICY``) to every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        policy = settings.HUBGATE_PERMISSIONS_POLICY
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        return response
