from django.urls import path

from . import views

app_name = "discovery"

urlpatterns = [
    path("results/", views.results, name="results"),
]
