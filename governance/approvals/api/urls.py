from rest_framework.routers import DefaultRouter

from . import compliance, views

router = DefaultRouter()
router.register("requests", views.ModelRequestViewSet, basename="request")
router.register("waivers", views.WaiverViewSet, basename="waiver")
router.register(
    "compliance-reports", compliance.ComplianceReportViewSet, basename="compliance-report"
)

urlpatterns = router.urls
