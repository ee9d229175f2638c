from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.workspace, name="workspace"),
    # The old name of the front page, still used by links and tests.
    path("", views.workspace, name="catalog"),
    path("results/", views.discovery_results, name="discovery-results"),
    path("recommendations/<slug:kind>/", views.recommendations, name="recommendations"),
    path("gallery/<int:pk>/", views.gallery, name="gallery"),
    path("management/", views.management, name="management"),
    path("imports/", views.import_model, name="import"),
    path("status/jobs/<int:pk>/", views.work_status, {"kind": "job"}, name="job-status"),
    path("status/scans/<int:pk>/", views.work_status, {"kind": "scan"}, name="scan-status"),
    path("models/<int:pk>/", views.model_detail, name="model-detail"),
    path("versions/<int:pk>/upload/", views.upload, name="version-upload"),
    path("versions/<int:pk>/request/", views.request_version, name="version-request"),
    path("requests/", views.requests_page, name="requests"),
    path("requests/<int:pk>/review/", views.review, name="request-review"),
]
