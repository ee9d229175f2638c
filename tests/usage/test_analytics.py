"""Daily counters, dashboards (API, CSV, pages with SVG charts) and "who uses this"."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from guardian.shortcuts import assign_perm

from governance.catalog.models import ModelType, VersionState
from governance.usage.models import DailyUsage, UsageEvent
from governance.usage.services import aggregate_daily_usage, aggregate_recent_usage
from governance.usage.tasks import aggregate_daily_usage_task
from tests.accounts.factories import MembershipFactory, TeamFactory, UserFactory
from tests.api.conftest import assert_problem, documented_problems
from tests.catalog.factories import ModelFactory, ModelVersionFactory
from tests.usage.factories import UsageEventFactory

# Counts per day over the last days: on a fixed clock, whatever day and hour the suite runs.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_clock")]


def _days_ago(n: int, hour: int = 12):
    return (timezone.now() - timedelta(days=n)).replace(hour=hour, minute=0)


@pytest.fixture
def usage():
    team_a, team_b = TeamFactory(slug="art"), TeamFactory(slug="ml")
    alice = MembershipFactory(team=team_a).user
    bob = MembershipFactory(team=team_b).user
    lora = ModelVersionFactory(
        model=ModelFactory(name="Ink LoRA", type=ModelType.LORA), base_model="SDXL 1.0"
    )
    ckpt = ModelVersionFactory(
        model=ModelFactory(name="Base ckpt", type=ModelType.CHECKPOINT), base_model="SD 1.5"
    )
    for _n in range(3):
        UsageEventFactory(version=lora, user=alice, team=team_a, created_at=_days_ago(1))
    UsageEventFactory(version=lora, user=bob, team=team_b, created_at=_days_ago(1))
    UsageEventFactory(
        version=lora,
        user=bob,
        team=team_b,
        kind="deployment",
        client="ci",
        created_at=_days_ago(1),
        metadata={"repository": "git@x:ml/app"},
    )
    UsageEventFactory(version=ckpt, user=alice, team=team_a, created_at=_days_ago(2))
    aggregate_recent_usage(days=5)
    return {"a": team_a, "b": team_b, "alice": alice, "bob": bob, "lora": lora, "ckpt": ckpt}


def test_events_fold_into_daily_counters_idempotently(usage):
    day = timezone.localdate(_days_ago(1))
    rows = DailyUsage.objects.filter(day=day, version=usage["lora"], kind="download")
    assert {(r.team_id, r.count, r.users) for r in rows} == {
        (usage["a"].pk, 3, 1),
        (usage["b"].pk, 1, 1),
    }
    row = rows.first()
    assert (row.model_id, row.base_model, row.model_type) == (
        usage["lora"].model_id,
        "SDXL 1.0",
        ModelType.LORA,
    )
    before = DailyUsage.objects.count()
    aggregate_daily_usage(day=day)
    assert DailyUsage.objects.count() == before
    UsageEventFactory(
        version=usage["lora"], user=usage["alice"], team=usage["a"], created_at=_days_ago(1)
    )
    aggregate_daily_usage(day=day)
    assert (
        DailyUsage.objects.get(
            day=day, version=usage["lora"], kind="download", team=usage["a"]
        ).count
        == 4
    )


def test_the_beat_task_rebuilds_today_and_yesterday():
    UsageEventFactory(created_at=timezone.now())
    assert aggregate_daily_usage_task() == 1
    assert DailyUsage.objects.get().count == 1


def test_company_analytics_over_the_api(usage, client):
    client.force_login(usage["alice"])
    data = client.get("/api/usage/analytics/", {"days": 7}).json()
    assert data["totals"]["download"] == 5 and data["totals"]["deployment"] == 1
    assert data["active_users"] == 2
    assert [m["name"] for m in data["top_models"]] == ["Ink LoRA", "Base ckpt"]
    assert {b["key"]: b["total"] for b in data["by_base_model"]} == {"SDXL 1.0": 5, "SD 1.5": 1}
    assert len(data["series"]) == 7


def test_a_team_dashboard_counts_only_that_team(usage, client):
    client.force_login(usage["bob"])
    data = client.get("/api/usage/analytics/", {"team": "ml", "days": 7}).json()
    assert data["totals"] == {"download": 1, "deployment": 1, "api_read": 0, "portal_view": 0}
    page = client.get("/community/analytics/team/ml/")
    assert page.status_code == 200
    assert b"<svg" in page.content and b'role="img"' in page.content


def test_analytics_do_not_count_models_the_viewer_may_not_see(usage, client):
    hidden = usage["ckpt"].model
    hidden.visibility = "team"
    hidden.save()
    client.force_login(usage["bob"])
    data = client.get("/api/usage/analytics/", {"days": 7}).json()
    assert "Base ckpt" not in [m["name"] for m in data["top_models"]]
    assert data["totals"]["download"] == 4


def test_csv_export_has_one_line_per_day(usage, client):
    client.force_login(usage["alice"])
    response = client.get("/api/usage/analytics.csv", {"days": 3}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["day", "download", "deployment", "api_read", "portal_view"]
    assert len(rows) == 4
    yesterday = timezone.localdate(_days_ago(1)).isoformat()
    assert next(r for r in rows if r[0] == yesterday)[1:3] == ["4", "1"]
    page = client.get("/community/analytics/", {"days": 3, "format": "csv"})
    assert page["Content-Type"].startswith("text/csv") and page.content.decode() == (
        response.content.decode()
    )


def test_bad_analytics_parameters_are_problems(usage, client):
    client.force_login(usage["alice"])
    response = client.get("/api/usage/analytics/", {"days": "lots"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize("path", ["/api/usage/analytics/", "/api/usage/analytics.csv"])
@pytest.mark.parametrize("params", [{"team": "art"}, {"team": "no-such-team"}, {"model": 987_654}])
def test_a_scope_you_may_not_see_is_a_documented_404(usage, client, path, params):
    """Found by the schema fuzzer: another team's dashboard or an unknown model is a 404
    problem, and the schema says so."""
    client.force_login(usage["bob"])
    response = client.get(path, {**params, "days": 7}, HTTP_ACCEPT="application/json")
    assert_problem(response, 404, "not_found")
    assert documented_problems(path, "get")["404"] == "NotFound"


def test_who_uses_a_version_lists_teams_and_ci_deployments(usage, client):
    lora = usage["lora"]
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    data = client.get(f"/api/usage/versions/{lora.pk}/users/").json()
    assert {t["team"]: (t["downloads"], t["deployments"]) for t in data["teams"]} == {
        "art": (3, 0),
        "ml": (1, 1),
    }
    assert data["deployments"][0]["metadata"]["repository"] == "git@x:ml/app"
    page = client.get(f"/community/versions/{lora.pk}/users/")
    assert page.status_code == 200 and b"git@x:ml/app" in page.content


def test_who_uses_is_for_the_owning_team_and_approved_teams(usage, client):
    lora = usage["lora"]
    outsider = UserFactory()
    client.force_login(outsider)
    assert client.get(f"/api/usage/versions/{lora.pk}/users/").status_code == 404
    assign_perm("catalog.use_modelversion", usage["b"].group, lora)
    client.force_login(usage["bob"])
    assert client.get(f"/api/usage/versions/{lora.pk}/users/").status_code == 200


def test_teams_that_used_a_version_hear_when_it_is_deprecated(
    usage, django_capture_on_commit_callbacks, mailoutbox
):
    from governance.lifecycle.services import deprecate_version

    lora = usage["lora"]
    lora.state = VersionState.APPROVED
    lora.save()
    with django_capture_on_commit_callbacks(execute=True):
        deprecate_version(
            version=lora,
            actor=UserFactory(is_staff=True),
            reason="superseded",
            sunset_at=timezone.now() + timedelta(days=30),
        )
    told = {address for m in mailoutbox for address in m.to}
    assert {usage["alice"].email, usage["bob"].email} <= told


def test_my_downloads_lists_only_mine(usage, client):
    client.force_login(usage["bob"])
    page = client.get("/community/downloads/")
    assert page.status_code == 200 and page.content.count(b"Ink LoRA") == 1
    assert b"Base ckpt" not in page.content


def test_kinds_are_the_documented_ones():
    assert set(UsageEvent.Kind.values) == {"download", "deployment", "api_read", "portal_view"}
