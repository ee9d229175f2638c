"""Scans, findings, gate runs, usage events and the audit log over the API, with the same
visibility as everywhere else."""

import pytest

from governance.audit.models import AuditEntry
from governance.catalog.models import Visibility
from governance.catalog.services import grant_owning_team
from governance.usage.models import UsageEvent
from governance.usage.services import record_usage
from tests.api.conftest import assert_problem, session

pytestmark = pytest.mark.django_db


def test_scans_and_findings_of_a_file(world, key_for) -> None:
    client = key_for(world.bot, "read")
    sha = world.sha256("open-finding")
    scans = client.get(f"/api/scans/?sha256={sha.lower()}").json()["results"]
    assert [(s["verdict"], s["current"], s["sha256"]) for s in scans] == [("flagged", True, sha)]
    assert [f["code"] for f in scans[0]["findings"]] == ["test.odd"]
    findings = client.get("/api/findings/?min_severity=medium&current=true").json()["results"]
    assert [f["code"] for f in findings] == ["test.backdoor", "test.odd", "test.odd"]
    version = world.versions["quarantined"]
    (critical,) = client.get(f"/api/findings/?version={version.pk}").json()["results"]
    assert (critical["severity"], critical["current"]) == ("critical", True)
    assert client.get(f"/api/findings/{critical['id']}/").json()["message"] == "a backdoor"
    assert client.get("/api/scans/?verdict=quarantined").json()["count"] == 1
    assert_problem(client.get("/api/findings/?min_severity=bad"), 400, "invalid")


def test_findings_of_a_private_model_stay_private(world) -> None:
    model = world.versions["open-finding"].model
    model.visibility, model.owning_team = Visibility.TEAM, world.company.team
    model.save()
    grant_owning_team(model=model)  # as the import service and the admin do
    outsider = session(world.company.outsider)
    assert (
        outsider.get(f"/api/findings/?version={world.versions['open-finding'].pk}").json()["count"]
        == 0
    )
    finding = world.versions["open-finding"].files.get().blob.current_scan.findings.get()
    assert_problem(outsider.get(f"/api/findings/{finding.pk}/"), 404)
    assert session(world.company.alice).get(f"/api/findings/{finding.pk}/").status_code == 200


def test_gate_runs_of_a_version(world, key_for) -> None:
    version = world.versions["waived"]
    runs = key_for(world.bot, "read").get(f"/api/gate-runs/?version={version.pk}").json()
    outcomes = [run["outcome"] for run in runs["results"]]
    assert outcomes[0] == "passed" and "failed" in outcomes
    run = runs["results"][0]
    assert session(world.admin).get(f"/api/gate-runs/{run['id']}/").json()["items"] == run["items"]


def test_usage_events_are_yours_and_your_teams(world, key_for) -> None:
    version = world.versions["approved"]
    mine = record_usage(kind="download", version=version, user=world.company.alice)
    teams = record_usage(
        kind="deployment", version=version, user=world.bot, team=world.company.team, client="ci"
    )
    record_usage(kind="download", version=version, user=world.company.outsider)
    alice = session(world.company.alice).get("/api/usage-events/").json()
    assert {e["id"] for e in alice["results"]} == {mine.pk, teams.pk}
    deployments = key_for(world.bot, "read").get("/api/usage-events/?kind=deployment&team=studio")
    assert [e["client"] for e in deployments.json()["results"]] == ["ci"]
    assert (
        session(world.admin).get("/api/usage-events/").json()["count"] == UsageEvent.objects.count()
    )
    assert_problem(session(world.company.alice).get("/api/usage-events/?kind=bogus"), 400)


def test_the_audit_log_pages_by_cursor_and_filters(world, key_for) -> None:
    client = key_for(world.admin, "admin")
    page = client.get("/api/audit/?page_size=5").json()
    assert len(page["results"]) == 5 and page["next"] and page["previous"] is None
    ids = [entry["id"] for entry in page["results"]]
    assert ids == sorted(ids, reverse=True) and ids[0] == AuditEntry.objects.latest("id").pk
    newest = page["results"][0]
    assert AuditEntry.objects.get(pk=newest["id"]).compute_hash() == newest["hash"]
    following = client.get(page["next"]).json()
    assert following["results"][0]["id"] < ids[-1]
    retired = client.get("/api/audit/?action=version.retired").json()["results"]
    assert [e["object_id"] for e in retired] == [str(world.versions["retired"].pk)]
    created = client.get("/api/audit/?action_prefix=apikey.&actor=root").json()["results"]
    assert {e["action"] for e in created} == {"apikey.created"}
    assert_problem(client.get("/api/audit/?cursor=garbage"), 404)


def test_files_filter_by_file_format_and_format_still_picks_the_renderer(world, key_for) -> None:
    from governance.catalog.models import ModelFile

    client = key_for(world.bot, "read")
    ModelFile.objects.filter(pk=world.versions["approved"].files.get().pk).update(
        format="PickleTensor"
    )
    odd = client.get("/api/files/?file_format=PickleTensor").json()["results"]
    assert [f["hashes"]["SHA256"] for f in odd] == [world.sha256("approved")]
    # ?format= is DRF's renderer switch, not a filter: it must not be swallowed by one.
    assert client.get("/api/files/?format=json").json()["count"] == ModelFile.objects.count()
