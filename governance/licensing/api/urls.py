from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
for prefix, viewset, basename in [
    ("licenses", views.LicenseViewSet, "license"),
    ("license-base-models", views.BaseModelLicenseViewSet, "base-model-license"),
    ("intended-uses", views.IntendedUseViewSet, "intended-use"),
    ("license-evaluations", views.LicenseEvaluationViewSet, "license-evaluation"),
    ("license-decisions", views.LicenseDecisionViewSet, "license-decision"),
]:
    router.register(prefix, viewset, basename=basename)

urlpatterns = router.urls
