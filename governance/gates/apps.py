from django.apps import AppConfig


class GatesConfig(AppConfig):
    name = "governance.gates"
    label = "gates"
