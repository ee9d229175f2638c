from django.urls import path

from . import views

urlpatterns = [
    path("gate/check/", views.GateCheckView.as_view(), name="gate-check"),
]
