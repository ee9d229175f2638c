from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("models", views.ModelViewSet, basename="model")
router.register("versions", views.ModelVersionViewSet, basename="version")
router.register("files", views.ModelFileViewSet, basename="file")
router.register("creators", views.CreatorViewSet, basename="creator")
router.register("tags", views.TagViewSet, basename="tag")

urlpatterns = router.urls
