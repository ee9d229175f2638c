"""The precomputed matrix, as ``refresh_item_similarity`` leaves it.

Rows are written by hand here (the refresh computes them from months of usage), keeping the
matrix's invariants: a score in [0, 1], at least one person behind it, both directions.
"""

import factory
from django.utils import timezone

from governance.recommendations.models import InteractionStats, ItemSimilarity
from tests.catalog.factories import ModelFactory


class ItemSimilarityFactory(factory.django.DjangoModelFactory):
    """``model_b`` is a neighbour of ``model_a``; the mirrored row is written too."""

    class Meta:
        model = ItemSimilarity

    model_a = factory.SubFactory(ModelFactory)
    model_b = factory.SubFactory(ModelFactory)
    score = 0.42
    support = 3
    computed_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        pair = super()._create(model_class, *args, **kwargs)
        mirrored = {**kwargs, "model_a": pair.model_b, "model_b": pair.model_a}
        super()._create(model_class, *args, **mirrored)
        return pair


class InteractionStatsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InteractionStats

    model = factory.SubFactory(ModelFactory)
    actors = 5
    events = 12
    computed_at = factory.LazyFunction(timezone.now)
