from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    name = "governance.lifecycle"
    label = "lifecycle"

    def ready(self) -> None:
        from governance.usage.downloads import register_use_rule

        from .selectors import usage_verdict

        # Downloads (a lower layer) ask the lifecycle's rule through this registration.
        register_use_rule(usage_verdict)
