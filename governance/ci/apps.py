from django.apps import AppConfig


class CiConfig(AppConfig):
    """The CI quality gate: ``POST /api/gate/check/`` and ``hubgate check``, answered from
    verdicts precomputed per version and intended-use profile (stored in the gates app's
    tables). It sits above approvals: a verdict says whether a team may use a version."""

    name = "governance.ci"
    label = "ci"
    verbose_name = "CI quality gate"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (stale verdicts refreshed when an input changes)
