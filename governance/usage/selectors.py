"""Questions about usage events, with visibility applied."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from governance.catalog.selectors import visible_versions

from .models import UsageEvent


def usage_events_visible_to(user) -> QuerySet[UsageEvent]:
    """Administrators see every event; everyone else their own and their teams' events,
    of versions they may see."""
    events = UsageEvent.objects.select_related("user", "team", "version")
    if not user.is_authenticated:
        return events.none()
    if user.is_staff:
        return events
    teams = user.teams.values("pk")
    return events.filter(Q(user=user) | Q(team__in=teams)).filter(
        version__in=visible_versions(user)
    )
