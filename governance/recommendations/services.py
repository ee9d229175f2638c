"""What changes recommendation state: the precomputed item-item matrix."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from governance.audit.services import record as audit
from governance.catalog.models import Model

from . import selectors
from .models import InteractionStats, ItemSimilarity
from .similarity import DEFAULT_SHRINKAGE, DEFAULT_TOP_K, baskets, item_item_similarity


@dataclass(frozen=True)
class MatrixReport:
    interactions: int
    models: int
    pairs: int
    computed_at: datetime


def refresh_item_similarity(
    *, window_days: int | None = None, top_k: int = DEFAULT_TOP_K
) -> MatrixReport:
    """Rebuild the item-item similarity matrix from the last ``window_days`` of implicit
    feedback (``HUBGATE_RECS_WINDOW_DAYS``, default 365) and replace the stored one."""
    days = window_days or getattr(settings, "HUBGATE_RECS_WINDOW_DAYS", 365)
    now = timezone.now()
    events = list(selectors.interactions(since=now - timedelta(days=days)))
    existing = set(
        Model.objects.filter(pk__in={e.model_id for e in events}).values_list("pk", flat=True)
    )
    events = [e for e in events if e.model_id in existing]
    matrix = item_item_similarity(
        baskets((e.actor, e.team, e.model_id, e.weight) for e in events),
        top_k=top_k,
        shrinkage=getattr(settings, "HUBGATE_RECS_SHRINKAGE", DEFAULT_SHRINKAGE),
    )
    actors: dict[int, set] = {}
    event_counts: Counter[int] = Counter()
    for e in events:
        actors.setdefault(e.model_id, set()).add(e.actor)
        event_counts[e.model_id] += 1
    rows = [
        ItemSimilarity(
            model_a_id=a,
            model_b_id=nb.model_id,
            score=nb.score,
            support=nb.support,
            computed_at=now,
        )
        for a, found in matrix.items()
        for nb in found
    ]
    stats = [
        InteractionStats(model_id=m, actors=len(who), events=event_counts[m], computed_at=now)
        for m, who in actors.items()
    ]
    with transaction.atomic():
        ItemSimilarity.objects.all().delete()
        ItemSimilarity.objects.bulk_create(rows, batch_size=2000)
        InteractionStats.objects.all().delete()
        InteractionStats.objects.bulk_create(stats, batch_size=2000)
        report = MatrixReport(len(events), len(matrix), len(rows), now)
        audit(
            action="recommendations.matrix_refreshed",
            object_type="recommendations.itemsimilarity",
            object_id="matrix",
            object_repr="item-item similarity matrix",
            after={
                "interactions": report.interactions,
                "models": report.models,
                "pairs": report.pairs,
                "window_days": days,
            },
        )
    return report
