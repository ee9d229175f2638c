import pytest
from django.db import IntegrityError, transaction

from governance.recommendations.models import ItemSimilarity
from tests.recommendations.factories import InteractionStatsFactory, ItemSimilarityFactory

pytestmark = pytest.mark.django_db


def test_an_item_similarity_is_stored_in_both_directions():
    pair = ItemSimilarityFactory(score=0.8, support=4)
    pair.full_clean()
    mirrored = ItemSimilarity.objects.get(model_a=pair.model_b, model_b=pair.model_a)
    mirrored.full_clean()
    assert (mirrored.score, mirrored.support) == (0.8, 4)
    assert ItemSimilarity.objects.count() == 2


def test_a_score_outside_the_unit_interval_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        ItemSimilarityFactory(score=1.5)


def test_interaction_stats_count_actors_and_events_of_one_model():
    stats = InteractionStatsFactory()
    stats.full_clean()
    assert stats.model.interaction_stats == stats and stats.events >= stats.actors
