"""Precomputed recommendation data: the item-item matrix and per-model interaction counts.

Written only by :func:`governance.recommendations.services.refresh_item_similarity` (a
Celery beat task); read by the selectors when they build recommender snapshots.
"""

from django.db import models


class ItemSimilarity(models.Model):
    """``model_b`` is among ``model_a``'s nearest neighbours by implicit feedback.

    Both directions are stored, so a model's neighbours are one indexed lookup.
    """

    model_a = models.ForeignKey("catalog.Model", on_delete=models.CASCADE, related_name="+")
    model_b = models.ForeignKey("catalog.Model", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(help_text="Shrunk cosine similarity in [0, 1].")
    support = models.PositiveIntegerField(help_text="People or teams who used both.")
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model_a", "model_b"], name="recs_item_pair_unique"),
            models.CheckConstraint(
                condition=models.Q(score__gte=0) & models.Q(score__lte=1),
                name="recs_item_score_in_unit_interval",
            ),
        ]
        indexes = [models.Index(fields=["model_a", "-score"])]
        verbose_name_plural = "item similarities"

    def __str__(self) -> str:
        return f"{self.model_a_id} ~ {self.model_b_id}: {self.score:.3f}"


class InteractionStats(models.Model):
    """How many people and teams used a model, as of the last matrix refresh."""

    model = models.OneToOneField(
        "catalog.Model", on_delete=models.CASCADE, related_name="interaction_stats"
    )
    actors = models.PositiveIntegerField(default=0)
    events = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "interaction stats"

    def __str__(self) -> str:
        return f"{self.model_id}: {self.actors} actors"
