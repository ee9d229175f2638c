from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("requests", views.ModelRequestViewSet, basename="request")
router.register("waivers", views.WaiverViewSet, basename="waiver")

urlpatterns = router.urls
