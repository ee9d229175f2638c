from django.urls import path

from . import views

urlpatterns = [
    path("uploads/", views.UploadListView.as_view(), name="upload-list"),
    path("uploads/<uuid:pk>/", views.UploadDetailView.as_view(), name="upload-detail"),
    path("uploads/<uuid:pk>/complete/", views.UploadCompleteView.as_view(), name="upload-complete"),
]
