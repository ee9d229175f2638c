from django.urls import path

from . import views

urlpatterns = [
    path("search/", views.SearchView.as_view(), name="api-search"),
    path("search/image/", views.ImageSearchView.as_view(), name="api-search-image"),
]
