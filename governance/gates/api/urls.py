from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("gate-runs", views.GateRunViewSet, basename="gate-run")

urlpatterns = [
    path("gate/check/", views.GateCheckView.as_view(), name="gate-check"),
    *router.urls,
]
