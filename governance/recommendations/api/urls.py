from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
# Only the similar action: the catalog's router serves the rest of /api/models/.
router.register("models", views.ModelSimilarViewSet, basename="model")

urlpatterns = [
    *router.urls,
    path("recommendations/for-me/", views.ForMeView.as_view(), name="recommendations-for-me"),
    path(
        "recommendations/similar/<int:model_id>/",
        views.SimilarView.as_view(),
        name="recommendations-similar",
    ),
    path(
        "recommendations/compatible/<int:checkpoint_id>/",
        views.CompatibleView.as_view(),
        name="recommendations-compatible",
    ),
    path(
        "compatibility/check/",
        views.CompatibilityCheckView.as_view(),
        name="compatibility-check",
    ),
    path(
        "quality/versions/<int:version_id>/",
        views.VersionQualityView.as_view(),
        name="quality-version",
    ),
]
