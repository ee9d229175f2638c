from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("scans", views.FileScanViewSet, basename="scan")
router.register("findings", views.FindingViewSet, basename="finding")

urlpatterns = router.urls
