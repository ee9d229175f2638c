"""Imports as jobs: started over the API, progress visible in the API and the admin; the CLI."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from governance.accounts.services import create_api_key
from governance.catalog.models import Model
from governance.connectors.models import ConnectorJob, HubConnection, TrackedModel
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.connectors.hub import CLAYMATION, MERIDIAN

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_import_over_the_api_runs_as_a_job_with_progress(
    hub_settings, django_capture_on_commit_callbacks
) -> None:
    member = MembershipFactory().user
    team = member.teams.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(member).post(
            "/api/connector-jobs/",
            {
                "reference": f"https://civitai.com/models/{MERIDIAN}",
                "team": team.slug,
                "download": True,
            },
            format="json",
        )
    assert response.status_code == 202, response.content
    job = client_for(member).get(f"/api/connector-jobs/{response.json()['id']}/").json()
    assert job["status"] == "succeeded", job
    assert job["unit"] == "bytes" and job["done"] == job["total"] > 0 and job["percent"] == 100
    assert "2 file(s) stored" in job["message"]
    model = Model.objects.get(external_id=str(MERIDIAN))
    assert model.owning_team == team
    assert model.versions.get(index=0).files.filter(blob__isnull=True).count() == 0
    # Others do not see the job; staff do.
    assert client_for(UserFactory()).get("/api/connector-jobs/").json()["count"] == 0
    staff = UserFactory(is_staff=True)
    assert client_for(staff).get("/api/connector-jobs/").json()["count"] == 1


def test_a_bad_reference_is_refused_before_any_job(hub_settings) -> None:
    response = client_for(UserFactory()).post(
        "/api/connector-jobs/", {"reference": "not a model"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_reference"
    assert not ConnectorJob.objects.exists()


def test_importing_for_someone_elses_team_is_refused(hub_settings) -> None:
    team = MembershipFactory().team
    response = client_for(UserFactory()).post(
        "/api/connector-jobs/",
        {"reference": f"civitai:{CLAYMATION}", "team": team.slug},
        format="json",
    )
    assert response.status_code == 403


def test_a_read_only_key_may_watch_but_not_start_imports(hub_settings) -> None:
    user = UserFactory()
    _, raw = create_api_key(user=user, name="ro", scopes=["read"])
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/connector-jobs/").status_code == 200
    assert client.post("/api/connector-jobs/", {"reference": "1"}, format="json").status_code == 403


def test_a_failed_job_says_why(hub_settings, fake_hub, django_capture_on_commit_callbacks) -> None:
    fake_hub.faults.bad_json = 5
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(UserFactory()).post(
            "/api/connector-jobs/", {"reference": f"civitai:{CLAYMATION}"}, format="json"
        )
    job = ConnectorJob.objects.get(pk=response.json()["id"])
    assert job.status == ConnectorJob.Status.FAILED
    assert "malformed JSON" in job.message


def test_the_admin_shows_connector_health_jobs_and_tracked_models(
    admin_client, hub_settings, django_capture_on_commit_callbacks
) -> None:
    listing = admin_client.get(reverse("admin:connectors_hubconnection_changelist"))
    assert listing.status_code == 200 and b"Not checked yet" in listing.content
    connection = HubConnection.objects.get()
    checked = admin_client.post(
        reverse("admin:connectors_hubconnection_changelist"),
        {"action": "check_now", "_selected_action": [connection.pk]},
        follow=True,
    )
    assert b"OK" in checked.content
    connection.refresh_from_db()
    assert connection.status == HubConnection.Status.OK and connection.latency_ms is not None
    call_command("civitai", "import", f"civitai:{CLAYMATION}", stdout=StringIO())
    tracked = TrackedModel.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:connectors_trackedmodel_changelist"),
            {"action": "sync_now", "_selected_action": [tracked.pk]},
        )
    jobs = admin_client.get(reverse("admin:connectors_connectorjob_changelist"))
    assert jobs.status_code == 200
    assert b"1 / 1 models (100%)" in jobs.content
    assert admin_client.get(reverse("admin:connectors_trackedmodel_changelist")).status_code == 200


def test_the_civitai_command_imports_syncs_and_checks(hub_settings, fake_hub) -> None:
    out = StringIO()
    version_id = fake_hub.model(MERIDIAN)["modelVersions"][0]["id"]
    call_command(
        "civitai",
        "import",
        f"urn:air:sd3:checkpoint:civitai:{MERIDIAN}@{version_id}",
        "--download",
        stdout=out,
    )
    assert "Imported Meridian 3.5 Large" in out.getvalue()
    assert out.getvalue().count("stored ") == 2
    call_command("civitai", "sync", stdout=out)
    assert "1 tracked model(s) synced" in out.getvalue()
    call_command("civitai", "health", stdout=out)
    assert "OK" in out.getvalue()
    call_command(
        "civitai", "import-listing", "--params", '{"types": "VAE"}', "--limit", "5", stdout=out
    )
    assert "3 model(s) imported" in out.getvalue()
    with pytest.raises(CommandError, match="No model with id 1"):
        call_command("civitai", "import", "civitai:1", stdout=out)
    fake_hub.faults.server_errors = 1
    with pytest.raises(CommandError, match="HTTP 500"):
        call_command("civitai", "health", stdout=out)
