from django.apps import AppConfig


class ScanningConfig(AppConfig):
    name = "governance.scanning"
    label = "scanning"
    verbose_name = "Security scanning"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (scan what ingest stores)
