"""CivitAI's paths, under /api/ (included before Hubgate's own routers)."""

from django.urls import re_path

from . import views

app_name = "compat"

urlpatterns = [
    re_path(r"^v1/models/?$", views.models, name="models"),
    re_path(r"^v1/models/(?P<model_id>[^/]+)/?$", views.model_detail, name="model"),
    re_path(
        r"^v1/model-versions/by-hash/(?P<file_hash>[^/]+)/?$",
        views.version_by_hash,
        name="version-by-hash",
    ),
    re_path(r"^v1/model-versions/(?P<version_id>[^/]+)/?$", views.version_detail, name="version"),
    re_path(r"^v1/enums/?$", views.enums, name="enums"),
    re_path(r"^v1/tags/?$", views.tags, name="tags"),
    re_path(r"^v1/creators/?$", views.creators, name="creators"),
    re_path(r"^v1/images/?$", views.images, name="images"),
    re_path(r"^download/models/(?P<version_id>[^/]+)/?$", views.download, name="download"),
]
