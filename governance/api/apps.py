from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "governance.api"
    label = "hubgate_api"
    verbose_name = "API plumbing"

    def ready(self) -> None:
        from . import receivers, schema  # noqa: F401  (cache invalidation, OpenAPI auth extension)
