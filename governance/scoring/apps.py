from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "governance.scoring"
    label = "scoring"
    verbose_name = "Scoring"

    def ready(self) -> None:
        from . import receivers  # noqa: F401
