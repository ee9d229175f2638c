from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "governance.community"
    label = "community"
    verbose_name = "Community"

    def ready(self) -> None:
        from . import receivers  # noqa: F401
