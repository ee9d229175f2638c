"""OpenAPI descriptions of Hubgate's own authentication (loaded by the app's ready())."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "governance.api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "hg_<prefix>_<secret>",
            "description": "A Hubgate API key; its scopes (read, request, review, admin, ci) "
            "limit what it may do.",
        }
