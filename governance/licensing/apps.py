from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "governance.licensing"
    label = "licensing"
    verbose_name = "License compliance"

    def ready(self) -> None:
        from . import receivers  # noqa: F401
