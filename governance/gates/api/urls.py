from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("gate-runs", views.GateRunViewSet, basename="gate-run")
# Only the gates action: the catalog's router serves the rest of /api/versions/.
router.register("versions", views.VersionGatesViewSet, basename="version")

urlpatterns = router.urls
