from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
# Only the lifecycle actions: the catalog's router serves the rest of /api/versions/.
router.register("versions", views.VersionLifecycleViewSet, basename="version")

urlpatterns = router.urls
