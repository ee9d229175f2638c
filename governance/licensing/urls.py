from django.urls import path

from . import views

app_name = "licensing"
urlpatterns = [
    path("", views.reports, name="reports"),
    path("company/", views.company_report, name="company"),
    path("teams/<slug:slug>/", views.team_report, name="team"),
    path("teams/<slug:slug>/NOTICE.txt", views.team_notice, name="notice"),
]
