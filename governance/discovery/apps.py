from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    name = "governance.discovery"
    label = "discovery"
    verbose_name = "Discovery (search)"

    def ready(self) -> None:
        from . import receivers  # noqa: F401
