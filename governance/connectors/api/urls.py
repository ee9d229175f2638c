from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("connector-jobs", views.ConnectorJobViewSet, basename="connector-job")

urlpatterns = router.urls
