from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("models/<int:pk>/", views.model_detail, name="model-detail"),
    path("versions/<int:pk>/upload/", views.upload, name="version-upload"),
]
