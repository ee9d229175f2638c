"""The demo catalog that `make run` loads."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from governance.accounts.models import Team, User
from governance.audit.models import AuditEntry
from governance.catalog.models import Model, ModelType, ModelVersion, VersionScore
from governance.demo.catalog import load_fixture
from tests.catalog.test_services import snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_fixture_is_realistic_and_covers_the_catalog() -> None:
    items = load_fixture()
    assert len(items) >= 60
    assert {item["type"] for item in items} == set(ModelType.values)
    base_models = {v["baseModel"] for item in items for v in item["modelVersions"]}
    assert {"SD 1.5", "SDXL 1.0", "Pony", "Flux.1 D", "Flux.1 S", "SD 3.5"} <= base_models
    assert sum(len(item["modelVersions"]) for item in items) >= 2 * len(items)
    assert len({item["creator"]["username"] for item in items}) >= 10
    commercial = {tuple(item["allowCommercialUse"]) for item in items}
    assert len(commercial) >= 3


@override_settings(DEBUG=True)
@pytest.mark.django_db(transaction=True)  # real commits: scans run as each file is stored
def test_seed_demo_loads_everything_and_a_second_run_changes_nothing() -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "admin / hubgate-demo" in out.getvalue()
    models = Model.objects.filter(hub="civitai").count()
    assert models == len(load_fixture())
    assert ModelVersion.objects.count() >= 2 * models
    assert Team.objects.count() == 2
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="alice").check_password("hubgate-demo")
    assert Model.objects.filter(owning_team__isnull=False).count() >= 10
    assert not ModelVersion.objects.filter(scores__isnull=True).exists()
    states = dict(
        ModelVersion.objects.filter(hub="upload")
        .values_list("model__name", "state")
        .order_by("model__name", "index")
    )
    assert states == {
        "Product Shot Upscaler": "deprecated",  # v1, superseded by the approved v2
        "Research Probe Checkpoint": "in_review",  # a flagged pickle waits for reviewers
        "Studio Brand Palette": "approved",
    }
    assert "alice's API key (read): hg_" in out.getvalue()
    before = (snapshot(), sorted(map(str, VersionScore.objects.values())))
    entries = AuditEntry.objects.count()
    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert (snapshot(), sorted(map(str, VersionScore.objects.values()))) == before
    assert AuditEntry.objects.count() == entries
    assert "hg_" in again.getvalue() and "seed_demo --new-api-key" in again.getvalue()
    assert "alice's API key (read): hg_" not in again.getvalue()


@override_settings(DEBUG=False)
def test_seed_demo_refuses_a_production_server() -> None:
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()
