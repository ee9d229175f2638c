"""Questions about gate runs, with visibility applied."""

from __future__ import annotations

from django.db.models import QuerySet

from governance.catalog.selectors import visible_versions

from .models import GateRun


def gate_runs_visible_to(user) -> QuerySet[GateRun]:
    """Gate runs of the versions ``user`` may see."""
    runs = GateRun.objects.select_related("version")
    if not user.is_authenticated:
        return runs.none()
    if user.is_staff:
        return runs
    return runs.filter(version__in=visible_versions(user))
