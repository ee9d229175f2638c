from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("keys", views.ApiKeyViewSet, basename="apikey")
router.register("teams", views.TeamViewSet, basename="team")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("service-accounts", views.ServiceAccountViewSet, basename="service-account")

urlpatterns = router.urls
