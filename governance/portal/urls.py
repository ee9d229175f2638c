from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("models/<int:pk>/", views.model_detail, name="model-detail"),
    path("versions/<int:pk>/upload/", views.upload, name="version-upload"),
    path("versions/<int:pk>/request/", views.request_version, name="version-request"),
    path("requests/", views.requests_page, name="requests"),
    path("requests/<int:pk>/review/", views.review, name="request-review"),
]
