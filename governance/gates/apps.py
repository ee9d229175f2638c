from django.apps import AppConfig


class GatesConfig(AppConfig):
    name = "governance.gates"
    label = "gates"

    def ready(self) -> None:
        from . import receivers  # noqa: F401
