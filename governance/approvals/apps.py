from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "governance.approvals"
    label = "approvals"
    verbose_name = "Requests and approvals"

    def ready(self) -> None:
        from . import receivers  # noqa: F401
