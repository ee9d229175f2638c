from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "governance.connectors"
    label = "connectors"
    verbose_name = "Hub connectors"
