from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "governance.catalog"
    label = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from governance import checks  # noqa: F401  (registers the plugin system check)
