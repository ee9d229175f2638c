import pytest

from governance.audit.models import AuditEntry
from governance.recommendations.models import InteractionStats, ItemSimilarity
from governance.recommendations.services import refresh_item_similarity
from governance.recommendations.tasks import refresh_item_similarity_task
from tests.accounts.factories import UserFactory
from tests.recommendations.conftest import use

pytestmark = pytest.mark.django_db


def test_matrix_is_built_from_co_use_and_audited(catalog) -> None:
    for n in range(3):
        person = UserFactory(username=f"p{n}")
        use(person, catalog["checkpoint"])
        use(person, catalog["pony_lora"])
    use(UserFactory(username="loner"), catalog["upscaler"])
    report = refresh_item_similarity()
    assert (report.models, report.pairs, report.interactions) == (2, 2, 7)
    pair = ItemSimilarity.objects.get(model_a=catalog["checkpoint"], model_b=catalog["pony_lora"])
    assert pair.support == 3 and 0 < pair.score <= 1
    assert InteractionStats.objects.get(model=catalog["upscaler"]).actors == 1
    entry = AuditEntry.objects.get(action="recommendations.matrix_refreshed")
    assert entry.after["pairs"] == 2


def test_refreshing_replaces_the_old_matrix(catalog) -> None:
    person = UserFactory()
    use(person, catalog["checkpoint"])
    use(person, catalog["pony_lora"])
    refresh_item_similarity()
    refresh_item_similarity(window_days=1)
    assert ItemSimilarity.objects.count() == 2


def test_task_runs_the_service(catalog) -> None:
    result = refresh_item_similarity_task.delay().get()
    assert result == {"interactions": 0, "models": 0, "pairs": 0}
