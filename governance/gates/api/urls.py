from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("gate-runs", views.GateRunViewSet, basename="gate-run")

urlpatterns = router.urls
