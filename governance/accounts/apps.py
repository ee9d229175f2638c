from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "governance.accounts"
    label = "accounts"
    verbose_name = "Accounts and teams"

    def ready(self) -> None:
        # Membership → team group, cached API-key rows dropped on change, OpenAPI key scheme,
        # the permission module's signal.
        from . import authentication, permissions, receivers, signals  # noqa: F401
