"""Questions about usage, with visibility applied: events, "who uses this", analytics."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from governance.accounts import permissions
from governance.accounts.models import Team
from governance.catalog.models import Model, ModelVersion
from governance.catalog.selectors import (
    visible_model,
    visible_models,
    visible_version,
    visible_versions,
)
from governance.errors import NotFound

from .models import DailyUsage, UsageEvent

Kind = UsageEvent.Kind


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


def first_team_of(user_ids: Iterable[int | None]) -> dict[int, int]:
    """Each person's first team (by when they joined): where a use recorded without a team
    is counted. One query."""
    from governance.accounts.models import Membership

    ids = [pk for pk in set(user_ids) if pk is not None]
    rows = Membership.objects.filter(user_id__in=ids).order_by("-joined_at", "-pk")
    # Walked newest first, so the earliest membership is written last and wins.
    return dict(rows.values_list("user_id", "team_id"))


# --- who uses this version -------------------------------------------------------------------


@dataclass(frozen=True)
class TeamUse:
    team: Team | None
    downloads: int
    deployments: int
    people: int
    last_used_at: datetime


@dataclass(frozen=True)
class WhoUses:
    """Everything a reviewer needs before deprecating or retiring a version."""

    version: ModelVersion
    teams: list[TeamUse]
    #: The latest CI deployments (newest first), with the job's metadata.
    deployments: list[UsageEvent]
    last_used_at: datetime | None
    total_events: int = 0
    approved_teams: list[Team] = field(default_factory=list)


def who_uses_version(version: ModelVersion, *, deployments: int = 50) -> WhoUses:
    """The teams that used ``version`` (downloads, deployments, people, last use), its latest
    CI deployments and the teams approved to use it. Callers check that the viewer may see
    the version (``version_usage_visible_to``)."""
    events = UsageEvent.objects.filter(version=version).exclude(kind=Kind.PORTAL_VIEW)
    rows = list(
        events.values("team_id", "user_id")
        .annotate(
            downloads=Count("id", filter=Q(kind=Kind.DOWNLOAD)),
            deployments=Count("id", filter=Q(kind=Kind.DEPLOYMENT)),
            last=Max("created_at"),
        )
        .order_by()
    )
    first_teams = first_team_of(r["user_id"] for r in rows if r["team_id"] is None)
    per_team: dict[int | None, dict] = {}
    for r in rows:
        team_id = r["team_id"] if r["team_id"] is not None else first_teams.get(r["user_id"])
        use = per_team.setdefault(
            team_id, {"downloads": 0, "deployments": 0, "people": set(), "last": r["last"]}
        )
        use["downloads"] += r["downloads"]
        use["deployments"] += r["deployments"]
        use["last"] = max(use["last"], r["last"])
        if r["user_id"] is not None:
            use["people"].add(r["user_id"])
    teams = Team.objects.in_bulk([pk for pk in per_team if pk is not None])
    uses = sorted(
        (
            TeamUse(teams.get(pk), u["downloads"], u["deployments"], len(u["people"]), u["last"])
            for pk, u in per_team.items()
        ),
        key=lambda use: use.last_used_at,
        reverse=True,
    )
    latest = list(
        events.filter(kind=Kind.DEPLOYMENT).select_related("team", "user", "file")[:deployments]
    )
    # Through the reverse relation approvals' requests put on Team: usage sits below
    # approvals and does not import it.
    approved = Team.objects.filter(requests__version=version, requests__state="approved").distinct()
    return WhoUses(
        version=version,
        teams=uses,
        deployments=latest,
        last_used_at=max((u.last_used_at for u in uses), default=None),
        total_events=sum(u.downloads + u.deployments for u in uses),
        approved_teams=list(approved),
    )


def version_usage_visible_to(user, version_id: int) -> ModelVersion:
    """The version, if ``user`` may see who uses it: staff, its owning team's members, or
    members of a team approved to use it (they are on the list themselves); otherwise
    NotFound, the same as for a version that does not exist."""
    version = visible_version(user, version_id)
    if user.is_staff:
        return version
    teams = set(user.teams.values_list("pk", flat=True))
    if version.model.owning_team_id in teams or permissions.can_use_version(user, version):
        return version
    raise NotFound(f"No model version {version_id} that you may see.")


# --- analytics -------------------------------------------------------------------------------


SERIES_KINDS = (Kind.DOWNLOAD, Kind.DEPLOYMENT, Kind.API_READ, Kind.PORTAL_VIEW)


@dataclass(frozen=True)
class Scope:
    """Which usage a dashboard shows: the company's, one team's or one model's."""

    kind: str  # "company" | "team" | "model"
    team: Team | None = None
    model: Model | None = None

    @property
    def label(self) -> str:
        if self.kind == "team" and self.team is not None:
            return f"team {self.team.name}"
        if self.kind == "model" and self.model is not None:
            return f"model {self.model.name}"
        return "the whole company"


def _scoped(qs: QuerySet, user, scope: Scope, *, model_field: str) -> QuerySet:
    qs = qs.filter(**{f"{model_field}__in": visible_models(user)})
    if scope.kind == "team":
        qs = qs.filter(team=scope.team)
    elif scope.kind == "model":
        qs = qs.filter(**{model_field: scope.model})
    return qs


def analytics_scope(user, *, team_slug: str | None = None, model_id: int | None = None) -> Scope:
    """The scope ``user`` asked for, or ``governance.errors.NotFound`` when they may not see it
    (a team's dashboard is for its members and administrators)."""
    if team_slug is not None:
        team = Team.objects.filter(slug=team_slug).first()
        if team is None or not (user.is_staff or user.teams.filter(pk=team.pk).exists()):
            raise NotFound("No such team, or you are not a member of it.")
        return Scope("team", team=team)
    if model_id is not None:
        return Scope("model", model=visible_model(user, model_id))
    return Scope("company")


@dataclass(frozen=True)
class Analytics:
    scope: Scope
    start: date
    end: date
    #: One row per day: {"day", "download", "deployment", "api_read", "portal_view"}.
    series: list[dict]
    totals: dict[str, int]
    active_users: int
    top_models: list[dict]
    by_base_model: list[dict]
    by_type: list[dict]
    top_teams: list[dict]


def usage_analytics(user, scope: Scope, *, days: int = 90, today: date | None = None) -> Analytics:
    """Downloads, deployments, reads and views per day over ``days`` days, active people,
    top models and teams, and usage by base model and type, for what ``user`` may see."""
    days = max(1, min(days, 730))
    end = today or timezone.localdate()
    start = end - timedelta(days=days - 1)
    daily = _scoped(
        DailyUsage.objects.filter(day__gte=start, day__lte=end), user, scope, model_field="model"
    )
    per_day: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SERIES_KINDS, 0))
    for row in daily.values("day", "kind").annotate(n=Sum("count")).order_by():
        per_day[row["day"]][row["kind"]] = row["n"]
    series = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        series.append({"day": day, **{str(k): per_day[day][k] for k in SERIES_KINDS}})
    totals = {str(k): sum(row[str(k)] for row in series) for k in SERIES_KINDS}
    tz = timezone.get_current_timezone()
    since = timezone.make_aware(datetime.combine(start, datetime.min.time()), tz)
    events = _scoped(
        UsageEvent.objects.filter(created_at__gte=since), user, scope, model_field="version__model"
    )
    active = events.exclude(user=None).values("user").distinct().count()
    use = daily.filter(kind__in=[Kind.DOWNLOAD, Kind.DEPLOYMENT])

    def grouped(*fields: str, limit: int = 10) -> list[dict]:
        return list(
            use.values(*fields)
            .annotate(
                downloads=Sum("count", filter=Q(kind=Kind.DOWNLOAD)),
                deployments=Sum("count", filter=Q(kind=Kind.DEPLOYMENT)),
                total=Sum("count"),
            )
            .order_by("-total", *fields)[:limit]
        )

    top_models = grouped("model_id", "model__name")
    return Analytics(
        scope=scope,
        start=start,
        end=end,
        series=series,
        totals=totals,
        active_users=active,
        top_models=top_models,
        by_base_model=grouped("base_model"),
        by_type=grouped("model_type"),
        top_teams=[r for r in grouped("team__slug", "team__name") if r["team__slug"]],
    )


def analytics_csv(analytics: Analytics) -> str:
    """The daily series as CSV text: one line per day, one column per kind of use."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["day", *(str(k) for k in SERIES_KINDS)])
    for row in analytics.series:
        writer.writerow([row["day"].isoformat(), *(row[str(k)] for k in SERIES_KINDS)])
    return out.getvalue()


def daily_downloads(
    *, model_ids: Iterable[int] | None = None, start: date, end: date
) -> dict[int, dict[date, int]]:
    """Downloads and deployments per model per day between ``start`` and ``end`` (inclusive),
    not filtered by permission: the trend math's input."""
    rows = DailyUsage.objects.filter(
        day__gte=start, day__lte=end, kind__in=[Kind.DOWNLOAD, Kind.DEPLOYMENT]
    )
    if model_ids is not None:
        rows = rows.filter(model_id__in=list(model_ids))
    out: dict[int, dict[date, int]] = defaultdict(dict)
    for row in rows.values("model_id", "day").annotate(n=Sum("count")).order_by():
        out[row["model_id"]][row["day"]] = row["n"]
    return out


def my_downloads(user, *, limit: int = 50) -> Sequence[UsageEvent]:
    """The person's latest downloads, of versions they may still see."""
    if not user.is_authenticated:
        return []
    return list(
        UsageEvent.objects.filter(
            user=user, kind=Kind.DOWNLOAD, version__in=visible_versions(user)
        ).select_related("version__model", "file")[:limit]
    )
