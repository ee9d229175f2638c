from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("usage-events", views.UsageEventViewSet, basename="usage-event")

urlpatterns = router.urls
