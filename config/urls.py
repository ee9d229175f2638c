from allauth.account import views as account_views
from allauth.account.decorators import secure_admin_login
from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from governance.api.health import healthz
from governance.errors import not_found, server_error

admin.site.site_header = "Hubgate administration"
admin.site.site_title = "Hubgate"
admin.site.index_title = "Governance console"
# The admin console signs in through the same page (and IdP) as the portal.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.logout = lambda request, extra_context=None: account_views.logout(request)

api_patterns = [
    # CivitAI's own paths (/api/v1/…, /api/download/models/…) first, before the routers.
    path("", include("governance.compat.urls")),
    # The CI gate check next: every CI job calls it, and each include tried before it costs
    # every call its patterns (no other include matches gate/).
    path("", include("governance.ci.api.urls")),
    path("", include("governance.gates.api.urls")),
    path("", include("governance.catalog.api.urls")),
    path("", include("governance.ingest.api.urls")),
    path("", include("governance.approvals.api.urls")),
    path("", include("governance.connectors.api.urls")),
    path("", include("governance.licensing.api.urls")),
    path("", include("governance.accounts.api.urls")),
    path("", include("governance.scanning.api.urls")),
    path("", include("governance.usage.api.urls")),
    path("", include("governance.lifecycle.api.urls")),
    path("", include("governance.community.api.urls")),
    path("", include("governance.audit.api.urls")),
    path("", include("governance.discovery.api.urls")),
    path("", include("governance.recommendations.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The API docs run vendored Swagger UI / ReDoc (drf-spectacular-sidecar, our static
    # files). The split view serves Swagger UI's start-up script from a URL, so no inline
    # script is needed; both inject <style> blocks at run time, so these two pages, and only
    # they, allow inline styles (ReDoc also runs its search in a blob: worker).
    path(
        "docs/",
        csp_update({"style-src": [SELF, UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="api-docs",
    ),
    path(
        "redoc/",
        csp_update({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
            SpectacularRedocView.as_view(url_name="schema")
        ),
        name="api-redoc",
    ),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    # django-allauth: local sign-in, OpenID Connect, SAML 2.0, sign-out (account_login …);
    # "login"/"logout" stay as names of the same views for older templates.
    path("accounts/", include("allauth.urls")),
    path("accounts/login/", account_views.login, name="login"),
    path("accounts/logout/", account_views.logout, name="logout"),
    # Every HTML page: the portal, its community and licensing pages (portal owns them all).
    path("", include("governance.portal.urls")),
]

handler404 = not_found
handler500 = server_error

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
