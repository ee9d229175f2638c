"""What the scorer plugins read, and asking them: the one home of score computation.

Scorers see :class:`~governance.hookspecs.VersionSnapshot`\\s enriched with scan findings,
license terms, local ratings, favorites, usage and hub state. Storing the scores is
``services.refresh_scores``; combining them into one quality is ``quality``.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from governance.catalog.models import Model, ModelVersion
from governance.catalog.selectors import version_snapshot
from governance.community.models import Favorite, Review
from governance.hookspecs import Score, VersionSnapshot
from governance.licensing.selectors import effective_terms_for
from governance.plugins import PluginResult, call_hook
from governance.scanning.models import FileScan, Finding
from governance.usage.interactions import USAGE_KINDS
from governance.usage.models import UsageEvent


def scoring_snapshot(version: ModelVersion, *, now: datetime | None = None) -> VersionSnapshot:
    """The catalog's snapshot of ``version`` plus scan findings, license terms, local ratings
    and recent usage, for the security, license, community and momentum scorers."""
    now = now or timezone.now()
    base = version_snapshot(version)
    blob_ids = [f.blob_id for f in version.files.all() if f.blob_id]
    scans = FileScan.objects.filter(blob_id__in=blob_ids, status=FileScan.Status.DONE)
    latest = {}
    for scan in scans.order_by("blob_id", "-finished_at", "-id"):
        latest.setdefault(scan.blob_id, scan)
    severities = (
        Finding.objects.filter(scan__in=list(latest.values()))
        .values("severity", "severity_rank")
        .annotate(n=Count("id"))
        .order_by("-severity_rank")
    )
    hub_results = tuple(
        r
        for f in version.files.all()
        for r in (f.pickle_scan_result, f.virus_scan_result)
        if r and r != "Pending"
    )
    terms = effective_terms_for(version)
    usage = UsageEvent.objects.filter(version=version, kind__in=USAGE_KINDS)
    recent = usage.filter(created_at__gte=now - timedelta(days=30))
    counts = usage.aggregate(
        recent=Count("id", filter=Q(created_at__gte=now - timedelta(days=30))),
        previous=Count(
            "id",
            filter=Q(
                created_at__gte=now - timedelta(days=60), created_at__lt=now - timedelta(days=30)
            ),
        ),
    )
    return dataclasses.replace(
        base,
        scanned_file_count=len(latest),
        quarantined_file_count=sum(1 for s in latest.values() if s.verdict == "quarantined"),
        finding_counts=tuple((row["severity"], row["n"]) for row in severities),
        hub_scan_results=hub_results,
        file_formats=tuple(f.format for f in version.files.all() if f.format),
        license_names=tuple(ref.name for ref in terms.licenses),
        license_permissions=tuple(
            (name, term.permission.value) for name, term in sorted(terms.terms.items())
        ),
        license_unknowns=tuple(terms.unknown),
        local_ratings=_local_ratings(version),
        recent_usage_count=counts["recent"],
        previous_usage_count=counts["previous"],
        recent_team_count=recent.exclude(team__isnull=True).values("team").distinct().count(),
        model_download_count=version.model.download_count,
        model_favorite_count=version.model.favorite_count,
        local_favorite_count=_local_favorites(version.model),
        model_mode=version.model.mode,
        availability=version.availability,
        commercial_uses=tuple(version.model.allow_commercial_use),
    )


def _local_favorites(model: Model) -> int:
    """How many Hubgate users favorited ``model`` (the community app's favorites)."""
    return Favorite.objects.filter(model=model).count()


def _local_ratings(version: ModelVersion) -> tuple[tuple[int, int], ...]:
    """Star ratings Hubgate's users gave this version (the community app's reviews)."""
    rows = (
        Review.objects.filter(version=version, status="visible")
        .values("rating")
        .annotate(n=Count("id"))
        .order_by("rating")
    )
    return tuple((row["rating"], row["n"]) for row in rows)


def compute_version_scores(version: ModelVersion) -> list[PluginResult[Score]]:
    """Ask every scorer plugin about ``version``; failures come back as failed results."""
    return call_hook("hubgate_score_version", validate=_as_score, version=scoring_snapshot(version))


def _as_score(value: object) -> Score:
    if not isinstance(value, Score):
        raise TypeError(f"a scorer must return a Score, got {type(value).__name__}")
    return value
