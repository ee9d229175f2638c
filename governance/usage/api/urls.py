from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("usage-events", views.UsageEventViewSet, basename="usage-event")
# Only the download action: the catalog's router serves the rest of /api/files/.
router.register("files", views.FileDownloadViewSet, basename="file")

urlpatterns = [
    path("usage/analytics/", views.AnalyticsView.as_view(), name="usage-analytics"),
    path("usage/analytics.csv", views.AnalyticsCSVView.as_view(), name="usage-analytics-csv"),
    path("usage/versions/<int:version_id>/users/", views.who_uses, name="usage-who-uses"),
    *router.urls,
]
