from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "governance.api"
    label = "hubgate_api"
    verbose_name = "API plumbing"
