"""Computing and storing scores: every scorer plugin's score of a version, failures included.

The scores are stored on the catalog's :class:`~governance.catalog.models.VersionScore`
(the table stays in catalog; this app owns the code). Lower apps never call this: they send
signals (imports, uploads, finished scans, license changes) that ``receivers`` turn into a
rescore after their transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from governance.catalog.models import ModelVersion, VersionScore

from .selectors import compute_version_scores


def refresh_version_scores(*, version: ModelVersion) -> list[VersionScore]:
    """Recompute and store every scorer's score for ``version``, failures included.

    A scorer that raised is stored with its error and no value, so a reviewer sees that the
    score is missing and why, instead of a silently absent number.
    """
    return refresh_scores(versions=ModelVersion.objects.filter(pk=version.pk))


def refresh_scores(*, versions: QuerySet[ModelVersion]) -> list[VersionScore]:
    """:func:`refresh_version_scores` for many versions: what the scorers read is loaded in
    a few queries, and the scores are replaced with one delete and one insert."""
    loaded = list(
        versions.select_related("model__creator").prefetch_related("files", "images", "model__tags")
    )
    results = [(version, compute_version_scores(version)) for version in loaded]
    now = timezone.now()
    with transaction.atomic():
        locked = set(
            ModelVersion.objects.select_for_update()
            .filter(pk__in=[v.pk for v in loaded])
            .values_list("pk", flat=True)
        )
        VersionScore.objects.filter(version_id__in=locked).delete()
        rows = [
            VersionScore(
                version=version,
                plugin=r.plugin,
                name=r.value.name if r.value else "",
                value=r.value.value if r.value else None,
                explanation=r.value.explanation if r.value else "",
                error=r.error or "",
                computed_at=now,
            )
            for version, scores in results
            if version.pk in locked
            for r in scores
        ]
        return VersionScore.objects.bulk_create(rows)


def queue_score_refresh(*, model_ids: Iterable[int]) -> None:
    """Rescore every version of ``model_ids`` in a Celery task once the transaction commits
    (the hub data the scorers read changed)."""
    ids = sorted(set(model_ids))
    if not ids:
        return

    def enqueue() -> None:
        from .tasks import refresh_model_scores_task  # tasks import this module

        refresh_model_scores_task.delay(ids)

    transaction.on_commit(enqueue, robust=True)


def queue_version_rescore(*, version_ids: Iterable[int]) -> None:
    """Rescore ``version_ids`` in a Celery task once the transaction commits (their files,
    scans or license terms changed)."""
    ids = sorted(set(version_ids))
    if not ids:
        return

    def enqueue() -> None:
        from .tasks import refresh_versions_scores_task  # tasks import this module

        refresh_versions_scores_task.delay(ids)

    transaction.on_commit(enqueue, robust=True)
