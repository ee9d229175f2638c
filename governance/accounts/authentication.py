"""API keys over ``Authorization: Bearer hg_…``: DRF's authentication class and its OpenAPI
description. Which scope an endpoint needs is the API layer's business
(``governance.api.authentication``); which key is valid is this app's."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from .services import check_api_key


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


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "governance.accounts.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "hg_<prefix>_<secret>",
            "description": "A Hubgate API key; its scopes (read, request, review, admin, ci) "
            "limit what it may do.",
        }
