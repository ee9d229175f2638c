"""Implicit feedback: the one weight table and the one shape every recommender reads.

Usage owns the events (downloads, CI deployments), so the table lives here, in the lowest
app that needs it; community adds favorites, ratings and collection items with the weights
below, and recommendations reads both, so no app keeps a weight of its own.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from .models import UsageEvent

#: Weight per kind of implicit feedback. A deployment ships the model in a product, a
#: stronger sign than a download made to try it; a favorite is the strongest.
WEIGHTS: dict[str, float] = {
    UsageEvent.Kind.DOWNLOAD: 1.0,
    UsageEvent.Kind.DEPLOYMENT: 2.0,
    "collection": 2.0,
    "favorite": 3.0,
}
#: The usage events that are feedback (portal views and API reads are not).
USAGE_KINDS = (UsageEvent.Kind.DOWNLOAD, UsageEvent.Kind.DEPLOYMENT)


def rating_weight(stars: int) -> float:
    """A review's feedback: 1 star is -1, 3 stars 0, 5 stars +1."""
    return (stars - 3) / 2


@dataclass(frozen=True, slots=True)
class Interaction:
    """One implicit-feedback event: a person (or, without one, a team) used, favorited,
    rated or collected a model."""

    user_id: int | None
    team_id: int | None
    model_id: int
    version_id: int | None
    #: A key of :data:`WEIGHTS`, or "rating".
    kind: str
    weight: float
    timestamp: datetime

    @property
    def actor(self) -> Hashable:
        """Who acted: the person, else the team the use was registered for."""
        return ("user", self.user_id) if self.user_id is not None else ("team", self.team_id)

    @property
    def team(self) -> Hashable | None:
        """The team the use was made for, when known."""
        return ("team", self.team_id) if self.team_id is not None else None


def usage_interactions(
    *,
    since: datetime | None = None,
    user_ids: Iterable[int] | None = None,
    model_ids: Iterable[int] | None = None,
    team_ids: Iterable[int] | None = None,
    people: bool = True,
) -> Iterator[Interaction]:
    """Downloads and deployments as feedback, oldest first; not permission-filtered.

    ``people``: uses by a person; else the uses registered for a team without one (CI
    deployments), whose actor is the team.
    """
    events = UsageEvent.objects.filter(kind__in=USAGE_KINDS)
    if people:
        events = events.filter(user__isnull=False)
    else:
        events = events.filter(user__isnull=True, team__isnull=False)
    if since is not None:
        events = events.filter(created_at__gte=since)
    if user_ids is not None:
        events = events.filter(user_id__in=list(user_ids))
    if model_ids is not None:
        events = events.filter(version__model_id__in=list(model_ids))
    if team_ids is not None:
        events = events.filter(team_id__in=list(team_ids))
    rows = events.values_list(
        "user_id", "team_id", "version__model_id", "version_id", "kind", "created_at"
    ).order_by("created_at", "id")
    for user_id, team_id, model_id, version_id, kind, at in rows.iterator(chunk_size=2000):
        yield Interaction(user_id, team_id, model_id, version_id, kind, WEIGHTS[kind], at)
