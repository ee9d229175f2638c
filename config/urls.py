from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from governance.api.health import healthz
from governance.errors import not_found, server_error

admin.site.site_header = "Hubgate administration"
admin.site.site_title = "Hubgate"
admin.site.index_title = "Governance console"

api_patterns = [
    # CivitAI's own paths (/api/v1/…, /api/download/models/…) first, before the routers.
    path("", include("governance.compat.urls")),
    path("", include("governance.catalog.api.urls")),
    path("", include("governance.ingest.api.urls")),
    path("", include("governance.approvals.api.urls")),
    path("", include("governance.connectors.api.urls")),
    path("", include("governance.licensing.api.urls")),
    path("", include("governance.accounts.api.urls")),
    path("", include("governance.scanning.api.urls")),
    path("", include("governance.gates.api.urls")),
    path("", include("governance.usage.api.urls")),
    path("", include("governance.audit.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("licensing/", include("governance.licensing.urls")),
    path("", include("governance.portal.urls")),
]

handler404 = not_found
handler500 = server_error

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
