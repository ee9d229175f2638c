"""The CI gate check's precomputed verdicts: one row per version and intended-use profile.

A verdict holds every part of the check's answer that does not depend on who asks (the
version's state and deprecation, every gate's items for the profile, the approved requests
for the profile, who holds ``use_modelversion``), so a check reads one row per version and
adds the caller's teams in memory.

Kept current without trusting anyone to remember: every input's change bumps the version's
generation (``receivers``; the global one for a license's terms, profiles and teams) in the
same transaction, and after commit a task recomputes the rows it made stale. A row is used only
while its generation, the global generation and the license evaluators it was computed with
are current and no waiver or license decision it rests on has expired (``valid_until``);
otherwise the check computes it again (and stores it, for a profile that exists). The
generations are read before the inputs, so a row computed from inputs that changed meanwhile
carries an old generation and is never used.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from governance.accounts import permissions
from governance.approvals.models import ModelRequest
from governance.catalog.models import ModelVersion
from governance.catalog.models import VersionState as S
from governance.gates.models import GateVerdict, VerdictGeneration
from governance.gates.services import GateItem, evaluate_gates
from governance.licensing.models import IntendedUse
from governance.lifecycle.selectors import not_yours, state_verdict
from governance.plugins import get_plugin_manager, plugin_infos

GLOBAL = 0
LICENSE_HOOK = "hubgate_evaluate_license"


@dataclass(frozen=True)
class Approval:
    team_id: int
    team_slug: str
    request_id: int


@dataclass(frozen=True)
class VersionVerdict:
    """What a check needs to know about one version for one profile, whoever asks."""

    version_id: int
    state: str
    #: Why the version's state refuses every use (retired, not approved …); "" if it allows.
    refusal: str = ""
    #: 410 for a retired version, 403 for any other refusal.
    refusal_status: int = 200
    #: Why a caller without ``use_modelversion`` may not use it.
    not_yours: str = ""
    deprecation_warning: str = ""
    sunset_at: str | None = None
    gate_items: tuple[GateItem, ...] = ()
    #: Approved requests for the profile, newest decision first.
    approvals: tuple[Approval, ...] = ()
    use_groups: frozenset[int] = field(default_factory=frozenset)
    use_users: frozenset[int] = field(default_factory=frozenset)
    label: str = ""

    def usable_by(self, user, group_ids: Iterable[int]) -> bool:
        """The permission module's use rule, answered from the stored holders."""
        holders = permissions.Holders(groups=self.use_groups, users=self.use_users)
        return holders.include(user, group_ids)

    def approval_for(self, user, team_ids: Iterable[int]) -> Approval | None:
        """The approval a use rests on: the newest of the caller's teams' (staff: any)."""
        if user.is_staff:
            return self.approvals[0] if self.approvals else None
        teams = set(team_ids)
        return next((a for a in self.approvals if a.team_id in teams), None)

    @property
    def valid_until(self) -> datetime | None:
        """When the first waiver or license decision this rests on expires, or the sunset
        comes (from then on the version is retired, whatever beat has done)."""
        expiries = [parse_datetime(i.expires_at) for i in self.gate_items if i.expires_at]
        if self.sunset_at and not self.refusal:
            expiries.append(parse_datetime(self.sunset_at))
        return min((e for e in expiries if e is not None), default=None)

    def as_json(self) -> dict:
        data = asdict(self)
        data["use_groups"], data["use_users"] = sorted(self.use_groups), sorted(self.use_users)
        return data

    @classmethod
    def from_json(cls, data: dict) -> VersionVerdict:
        return cls(
            **{
                **data,
                "gate_items": tuple(GateItem(**i) for i in data["gate_items"]),
                "approvals": tuple(Approval(**a) for a in data["approvals"]),
                "use_groups": frozenset(data["use_groups"]),
                "use_users": frozenset(data["use_users"]),
            }
        )


def evaluators_fingerprint() -> str:
    """Which license evaluators answer, with their settings: a verdict computed with others
    is not used."""
    pm = get_plugin_manager()
    names = sorted(i.plugin_name for i in getattr(pm.hook, LICENSE_HOOK).get_hookimpls())
    modules = {info.name: info.module for info in plugin_infos()}
    config = getattr(settings, "HUBGATE_PLUGINS", {}) or {}
    basis = {
        "evaluators": [(n, modules.get(n, ""), config.get(n)) for n in names],
        "revenue": getattr(settings, "HUBGATE_ANNUAL_REVENUE_USD", None),
    }
    return hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).hexdigest()


def compute_verdict(version: ModelVersion, profile: str, now: datetime) -> VersionVerdict:
    """The verdict from the inputs themselves (about ten queries): the slow path."""
    state = state_verdict(version, at=now)
    approvals = ModelRequest.objects.filter(
        version=version, intended_use=profile, state=ModelRequest.State.APPROVED
    ).order_by("-decided_at", "-id")
    holders = permissions.holders(permissions.USE_VERSION, version)
    deprecation = getattr(version, "deprecation", None) if state.warning else None
    items = (
        ()
        if version.state == S.RETIRED
        else evaluate_gates(version, intended_use=profile, at=now).items
    )
    return VersionVerdict(
        version_id=version.pk,
        state=version.state,
        refusal="" if state.allowed else state.reason,
        refusal_status=state.status,
        not_yours=not_yours(version) if state.allowed else "",
        deprecation_warning=state.warning,
        sunset_at=deprecation.sunset_at.isoformat()
        if deprecation and deprecation.sunset_at
        else None,
        gate_items=tuple(items),
        approvals=tuple(
            Approval(r.team_id, r.team.slug, r.pk) for r in approvals.select_related("team")
        ),
        use_groups=holders.groups,
        use_users=holders.users,
        label=str(version),
    )


def current_generations(version_ids: Iterable[int]) -> dict[int, int]:
    """The generation of each version (0 if never bumped), and of GLOBAL."""
    ids = {GLOBAL, *version_ids}
    rows = VerdictGeneration.objects.filter(version_id__in=ids)
    found = dict(rows.values_list("version_id", "value"))
    return {i: found.get(i, 0) for i in ids}


def with_verdict_inputs(versions: QuerySet[ModelVersion]) -> QuerySet[ModelVersion]:
    """Versions with the rows ``compute_verdict`` reads through them."""
    return versions.select_related("model__creator", "deprecation")


def current_verdict_join(version_column: str, profile: str, now: datetime) -> tuple[str, list]:
    """``LEFT JOIN`` SQL (and its parameters) giving ``gv.state`` and ``gv.data``: the stored
    verdict of the version in ``version_column`` for ``profile``, only while it is current
    (generations, evaluators, expiry). The caller still compares ``gv.state`` with the
    version's state.

    Plain SQL: this is every gate check's lookup, and the ORM's compiling of the same query
    (generations joined, the global one as a subquery) cost ten times its running.
    """
    verdict, generation = (
        connection.ops.quote_name(m._meta.db_table) for m in (GateVerdict, VerdictGeneration)
    )
    sql = (
        f"LEFT JOIN {verdict} gv "  # noqa: S608
        f"ON gv.version_id = {version_column} AND gv.profile = %s "
        f"AND gv.generation = COALESCE((SELECT value FROM {generation} "
        f"WHERE version_id = {version_column}), 0) "
        f"AND gv.global_generation = COALESCE((SELECT value FROM {generation} "
        f"WHERE version_id = {GLOBAL}), 0) "
        "AND gv.plugins = %s AND (gv.valid_until IS NULL OR gv.valid_until > %s)"
    )
    now_value = connection.ops.adapt_datetimefield_value(now)
    return sql, [profile, evaluators_fingerprint(), now_value]


def verdict_from_row(state: str | None, data, version_state: str) -> VersionVerdict | None:
    """The verdict a ``current_verdict_join`` row holds, if any and still for this state."""
    if data is None or state != version_state:
        return None
    return VersionVerdict.from_json(json.loads(data) if isinstance(data, str) else data)


def _stored(by_id: dict[int, ModelVersion], profile: str, now: datetime) -> dict:
    """The stored verdicts of ``by_id`` for ``profile`` that are current, in one query."""
    if not by_id:
        return {}
    ids = list(by_id)
    join, params = current_verdict_join("ver.id", profile, now)
    version_table = connection.ops.quote_name(ModelVersion._meta.db_table)
    sql = (
        f"SELECT ver.id, gv.state, gv.data FROM {version_table} ver {join} "  # noqa: S608
        f"WHERE ver.id IN ({', '.join(['%s'] * len(ids))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *ids])
        rows = cursor.fetchall()
    verdicts = {}
    for version_id, state, data in rows:
        found = verdict_from_row(state, data, by_id[version_id].state)
        if found is not None:
            verdicts[version_id] = found
    return verdicts


def verdicts_for(
    versions: Iterable[ModelVersion], profile: str, now: datetime
) -> dict[int, VersionVerdict]:
    """The verdict of every version for ``profile``: stored rows where they are current (one
    query, none for no versions), computed (and stored) where not."""
    by_id = {v.pk: v for v in versions}
    verdicts = _stored(by_id, profile, now)
    missing = [pk for pk in by_id if pk not in verdicts]
    if missing:
        # Whole, with what the gates read: the caller may have loaded only a few columns.
        whole = with_verdict_inputs(ModelVersion.objects.filter(pk__in=missing))
        verdicts.update(refresh_verdicts(versions=whole, profile=profile, now=now))
    return verdicts


def refresh_verdicts(
    *, versions: Iterable[ModelVersion], profile: str, now: datetime | None = None
) -> dict[int, VersionVerdict]:
    """Compute the verdicts of ``versions`` for ``profile`` and store them (only for a profile
    that exists: a made-up slug must not fill the table)."""
    now = now or timezone.now()
    versions = list(versions)
    generations = current_generations(v.pk for v in versions)  # before the inputs: see above
    plugins = evaluators_fingerprint()
    computed = {v.pk: compute_verdict(v, profile, now) for v in versions}
    if computed and IntendedUse.objects.filter(slug=profile).exists():
        rows = [
            GateVerdict(
                version_id=pk,
                profile=profile,
                state=verdict.state,
                data=verdict.as_json(),
                generation=generations[pk],
                global_generation=generations[GLOBAL],
                plugins=plugins,
                valid_until=verdict.valid_until,
                computed_at=now,
            )
            for pk, verdict in computed.items()
        ]
        GateVerdict.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["version", "profile"],
            update_fields=[
                "state",
                "data",
                "generation",
                "global_generation",
                "plugins",
                "valid_until",
                "computed_at",
            ],
        )
    return computed


def invalidate_verdicts(version_ids: Iterable[int] | None = None) -> None:
    """An input of these versions' verdicts changed (None: of every version's): bump their
    generation now, in the caller's transaction, and recompute the stored rows after commit."""
    ids = sorted({int(i) for i in version_ids}) if version_ids is not None else [GLOBAL]
    if not ids:
        return
    with transaction.atomic():
        bumped = VerdictGeneration.objects.filter(version_id__in=ids)
        existing = set(bumped.values_list("version_id", flat=True))
        bumped.update(value=F("value") + 1)
        VerdictGeneration.objects.bulk_create(
            [VerdictGeneration(version_id=i, value=1) for i in ids if i not in existing],
            ignore_conflicts=True,
        )
    # A global change is computed again when asked for: it may touch every version.
    if ids != [GLOBAL] and GateVerdict.objects.filter(version_id__in=ids).exists():
        from .tasks import refresh_gate_verdicts_task

        transaction.on_commit(lambda: refresh_gate_verdicts_task.delay(ids))


def refresh_stored_verdicts(*, version_ids: Iterable[int] | None = None) -> int:
    """Recompute the stored verdicts of ``version_ids`` (None: every stored one) that are not
    current; returns how many were recomputed."""
    rows = GateVerdict.objects.all()
    if version_ids is not None:
        rows = rows.filter(version_id__in=list(version_ids))
    pairs: dict[str, list[int]] = {}
    for version_id, profile in rows.values_list("version_id", "profile"):
        pairs.setdefault(profile, []).append(version_id)
    return sum(_refresh_stale(ids, profile) for profile, ids in pairs.items())


def precompute_verdicts(*, batch: int = 500) -> int:
    """Compute the verdict of every approved request's version for its profile (a new
    installation, or after a global change); returns how many were (re)computed."""
    approved = ModelRequest.objects.filter(state=ModelRequest.State.APPROVED)
    pairs: dict[str, list[int]] = {}
    for version_id, profile in approved.values_list("version_id", "intended_use").distinct():
        pairs.setdefault(profile, []).append(version_id)
    return sum(_refresh_stale(ids, profile, batch=batch) for profile, ids in pairs.items())


def _refresh_stale(version_ids: list[int], profile: str, *, batch: int = 500) -> int:
    count = 0
    for first in range(0, len(version_ids), batch):
        now = timezone.now()
        chunk = ModelVersion.objects.filter(pk__in=version_ids[first : first + batch])
        by_id = {v.pk: v for v in with_verdict_inputs(chunk)}
        fresh = _stored(by_id, profile, now)
        stale = [v for pk, v in by_id.items() if pk not in fresh]
        refresh_verdicts(versions=stale, profile=profile, now=now)
        count += len(stale)
    return count
