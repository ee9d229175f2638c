from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    name = "governance.discovery"
    label = "discovery"
    verbose_name = "Discovery (search)"

    def ready(self) -> None:
        from governance.catalog.filters import provide_text_search

        from . import receivers  # noqa: F401
        from .selectors import filter_by_query

        # The catalog's ``search`` filter (/api/models/?search=) is this app's lexical search.
        provide_text_search(filter_by_query)
