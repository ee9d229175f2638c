from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "governance.approvals"
    label = "approvals"
    verbose_name = "Requests and approvals"

    def ready(self) -> None:
        from governance.gates.services import provide_waivers

        from . import receivers  # noqa: F401
        from .selectors import live_waivers

        # The scan gate (a lower app) asks the approvals app for live waivers.
        provide_waivers(live_waivers)
