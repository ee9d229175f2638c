from django.apps import AppConfig


class CompatConfig(AppConfig):
    name = "governance.compat"
    label = "compat"
    verbose_name = "CivitAI-compatible API"
