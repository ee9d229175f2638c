from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "governance.usage"
    label = "usage"
    verbose_name = "Usage"

    def ready(self) -> None:
        from . import receivers  # noqa: F401
