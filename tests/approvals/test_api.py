"""Requests, reviews and waivers over HTTP; idempotency keys; a private model stays private."""

import pytest
from rest_framework.test import APIClient

from governance.approvals.models import ModelRequest
from governance.catalog.models import Visibility

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_request_review_flow_over_http(company, stored_version, django_capture_on_commit_callbacks):
    version = stored_version()
    alice = client_for(company.alice)
    with django_capture_on_commit_callbacks(execute=True):
        created = alice.post(
            "/api/requests/",
            {"version": version.pk, "team": "studio", "intended_use": "commercial-products"},
            format="json",
        )
    assert created.status_code == 201, created.content
    assert created.json()["state"] == "in_review"
    url = f"/api/requests/{created.json()['id']}/"
    own = alice.post(url + "reviews/", {"decision": "approve"}, format="json")
    assert own.status_code == 403 and own.json()["code"] == "permission_denied"
    for reviewer in (company.sam, company.lee):
        with django_capture_on_commit_callbacks(execute=True):
            review = client_for(reviewer).post(
                url + "reviews/", {"decision": "approve"}, format="json"
            )
        assert review.status_code == 201, review.content
    body = alice.get(url).json()
    assert body["state"] == "approved"
    assert sorted(r["role"] for r in body["reviews"]) == ["legal", "security"]
    gates = alice.get(url + "gates/").json()
    assert gates[0]["outcome"] == "passed"
    assert alice.get(f"/api/versions/{version.pk}/").json()["state"] == "approved"
    file = version.files.get()
    assert alice.get(f"/api/files/{file.pk}/download/").status_code == 200
    refused = client_for(company.outsider).get(f"/api/files/{file.pk}/download/")
    assert refused.status_code == 403 and refused.json()["code"] == "usage_refused"


def test_reviewer_queue(company, stored_version, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client_for(company.alice).post(
            "/api/requests/",
            {"version": stored_version().pk, "team": "studio", "intended_use": "internal-research"},
            format="json",
        )
    queue = client_for(company.sam).get("/api/requests/?queue=mine").json()
    assert queue["count"] == 1
    assert client_for(company.alice).get("/api/requests/?queue=mine").json()["count"] == 0
    assert client_for(company.outsider).get("/api/requests/").json()["count"] == 0


def test_idempotency_key_replays_instead_of_repeating(company, stored_version) -> None:
    version = stored_version()
    alice = client_for(company.alice)
    body = {"version": version.pk, "team": "studio", "intended_use": "internal-research"}
    first = alice.post("/api/requests/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = alice.post("/api/requests/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert ModelRequest.objects.count() == 1
    other = alice.post(
        "/api/requests/",
        {**body, "intended_use": "commercial-products"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    # Without a key the duplicate is a plain conflict.
    assert alice.post("/api/requests/", body, format="json").status_code == 409


def test_waivers_over_http(company, stored_version, plugin, django_capture_on_commit_callbacks):
    from tests.approvals.conftest import MediumFinding

    plugin(MediumFinding(), name="medium")
    version = stored_version()
    finding = version.files.get().blob.current_scan.findings.get(scanner="medium")
    body = {
        "version": version.pk,
        "finding": finding.pk,
        "justification": "checked",
        "scope": "studio only",
        "expires_at": "2099-01-01T00:00:00Z",
    }
    too_long = client_for(company.sam).post("/api/waivers/", body, format="json")
    assert too_long.status_code == 400 and "expires_at" in too_long.json()["errors"]
    from datetime import timedelta

    from django.utils import timezone

    body["expires_at"] = (timezone.now() + timedelta(days=10)).isoformat()
    assert client_for(company.lee).post("/api/waivers/", body, format="json").status_code == 403
    granted = client_for(company.sam).post("/api/waivers/", body, format="json")
    assert granted.status_code == 201, granted.content
    assert granted.json()["code"] == "t.odd"
    gates = client_for(company.alice).get(f"/api/versions/{version.pk}/gates/").json()
    assert [i["status"] for i in gates["items"]] == ["waived"]
    revoked = client_for(company.sam).post(f"/api/waivers/{granted.json()['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]


@pytest.fixture
def private_model(company, stored_version):
    version = stored_version(model__owning_team=company.team, model__visibility=Visibility.TEAM)
    return version.model, version


def test_team_b_cannot_reach_team_a_private_model_anywhere(company, private_model, client):
    model, version = private_model
    file = version.files.get()
    outsider = client_for(company.outsider)
    assert outsider.get("/api/models/").json()["count"] == 0
    for url in (
        f"/api/models/{model.pk}/",
        f"/api/models/{model.pk}/similar/",
        f"/api/versions/{version.pk}/",
        f"/api/versions/{version.pk}/scores/",
        f"/api/versions/{version.pk}/gates/",
        f"/api/files/{file.pk}/",
        f"/api/files/{file.pk}/download/",
    ):
        response = outsider.get(url)
        assert response.status_code == 404, (url, response.status_code)
    assert outsider.get(f"/api/files/?hash={file.sha256}").json()["count"] == 0
    assert outsider.get("/api/versions/").json()["count"] == 0
    for url, body in (
        ("/api/requests/", {"version": version.pk, "team": "research", "intended_use": "x"}),
        (f"/api/versions/{version.pk}/deprecate/", {"reason": "mine now"}),
        (f"/api/versions/{version.pk}/retire/", {}),
        ("/api/uploads/", {"filename": "x", "size": 1, "version": version.pk}),
    ):
        response = outsider.post(url, body, format="json")
        assert response.status_code in (403, 404), (url, response.status_code, response.content)
    # Every list that could mention the model's scans, findings, gates or usage leaves it out.
    scan = file.blob.current_scan
    for url in (
        "/api/scans/",
        "/api/findings/",
        "/api/gate-runs/",
        "/api/usage-events/",
        "/api/waivers/",
        "/api/requests/",
    ):
        body = outsider.get(url)
        assert body.status_code == 200, (url, body.status_code)
        text = body.content.decode()
        assert f'"version":{version.pk},' not in text.replace(" ", ""), url
    assert outsider.get(f"/api/scans/{scan.pk}/").status_code == 404
    for finding in scan.findings.all():
        assert outsider.get(f"/api/findings/{finding.pk}/").status_code == 404
    client.force_login(company.outsider)
    assert client.get(f"/models/{model.pk}/").status_code == 404
    assert model.name not in client.get("/").content.decode()
    # The owning team sees it.
    assert client_for(company.alice).get(f"/api/models/{model.pk}/").status_code == 200


def test_joining_and_leaving_the_owning_team_grants_and_removes_access(
    company, private_model, django_capture_on_commit_callbacks
) -> None:
    from governance.accounts.models import Membership

    model, _version = private_model
    Membership.objects.create(user=company.outsider, team=company.team)  # joins studio too
    assert client_for(company.outsider).get(f"/api/models/{model.pk}/").status_code == 200
    Membership.objects.filter(user=company.outsider, team=company.team).delete()
    assert client_for(company.outsider).get(f"/api/models/{model.pk}/").status_code == 404


def test_approving_a_request_whose_gates_fail_is_a_409_listing_the_reasons(
    company, stored_version, plugin, django_capture_on_commit_callbacks
) -> None:
    from tests.api.conftest import assert_problem
    from tests.approvals.conftest import MediumFinding

    plugin(MediumFinding(), name="medium")
    with django_capture_on_commit_callbacks(execute=True):
        created = client_for(company.alice).post(
            "/api/requests/",
            {"version": stored_version().pk, "team": "studio", "intended_use": "internal-research"},
            format="json",
        )
    url = f"/api/requests/{created.json()['id']}/reviews/"
    refused = client_for(company.sam).post(url, {"decision": "approve"}, format="json")
    body = assert_problem(refused, 409, "conflict")
    assert any("t.odd" in reason for reason in body["errors"]["gates"])


def test_the_requester_sees_gate_reasons_and_withdraws_over_http(
    company, stored_version, plugin, django_capture_on_commit_callbacks
) -> None:
    from tests.api.conftest import assert_problem
    from tests.approvals.conftest import MediumFinding

    plugin(MediumFinding(), name="medium")
    alice = client_for(company.alice)
    with django_capture_on_commit_callbacks(execute=True):
        created = alice.post(
            "/api/requests/",
            {"version": stored_version().pk, "team": "studio", "intended_use": "internal-research"},
            format="json",
        )
    url = f"/api/requests/{created.json()['id']}/"
    reasons = alice.get(url).json()["gate_reasons"]
    assert any("t.odd" in reason for reason in reasons)
    assert_problem(client_for(company.sam).post(url + "withdraw/"), 403, "permission_denied")
    withdrawn = alice.post(url + "withdraw/")
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"
    assert withdrawn.json()["gate_reasons"] == []
    assert_problem(alice.post(url + "withdraw/"), 409, "conflict")


def test_queues_list_only_requests_the_reviewer_holds_a_required_role_for(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    from governance.accounts.models import ReviewerRole, RoleAssignment
    from governance.approvals import selectors
    from tests.accounts.factories import MembershipFactory, UserFactory

    teammate = MembershipFactory(team=company.team, user=UserFactory(username="tom")).user
    brand = ReviewerRole.objects.create(slug="brand", name="Brand")
    bea = UserFactory(username="bea")
    RoleAssignment.objects.create(user=bea, role=brand)  # a role no policy requires
    with django_capture_on_commit_callbacks(execute=True):
        client_for(company.alice).post(
            "/api/requests/",
            {"version": stored_version().pk, "team": "studio", "intended_use": "internal-research"},
            format="json",
        )
    assert selectors.review_queue(company.sam).count() == 1
    assert selectors.review_queue(teammate).count() == 0, "a teammate holds no required role"
    assert selectors.review_queue(bea).count() == 0, "a role the policy does not require"
    assert selectors.review_queue(company.alice).count() == 0, "never one's own request"
    assert client_for(bea).get("/api/requests/?queue=mine").json()["count"] == 0
    assert selectors.pending_review_count(company.lee) == 1


def test_request_lists_are_newest_first_and_paginated(company, stored_version) -> None:
    from governance.approvals.models import ModelRequest

    versions = [stored_version() for _ in range(3)]
    made = [
        ModelRequest.objects.create(
            version=v,
            team=company.team,
            requester=company.alice,
            intended_use="internal-research",
            state="in_review",
        )
        for v in versions
    ]
    body = client_for(company.alice).get("/api/requests/", {"page_size": 2}).json()
    assert body["count"] == 3
    ids = [r["id"] for r in body["results"]]
    assert ids == [made[2].pk, made[1].pk]


@pytest.mark.parametrize("url", ["/api/requests/", "/api/waivers/"])
def test_the_browsable_api_forms_list_no_version_the_user_may_not_see(
    company, private_model, client, settings, url
) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_RENDERER_CLASSES": [
            "rest_framework.renderers.JSONRenderer",
            "rest_framework.renderers.BrowsableAPIRenderer",
        ],
    }
    model, version = private_model
    client.force_login(company.outsider)
    page = client.get(url, HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and "<form" in page.content.decode()
    assert model.name not in page.content.decode()
    assert f'value="{version.pk}"' not in page.content.decode()
    client.force_login(company.alice)  # the owning team still gets its own version offered
    assert model.name in client.get(url, HTTP_ACCEPT="text/html").content.decode()


def test_a_private_version_is_answered_like_a_missing_one(company, private_model) -> None:
    _model, version = private_model
    outsider = client_for(company.outsider)
    body = {"team": "research", "intended_use": "internal-research"}
    private = outsider.post("/api/requests/", {**body, "version": version.pk}, format="json")
    missing = outsider.post("/api/requests/", {**body, "version": 999999}, format="json")
    assert private.status_code == missing.status_code == 404
    # The same answer but for the id the caller sent back to them.
    assert private.json() == {
        key: value.replace("999999", str(version.pk)) if isinstance(value, str) else value
        for key, value in missing.json().items()
    }


@pytest.mark.postgres
def test_a_nul_character_in_a_role_is_a_400_not_a_server_error(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    # PostgreSQL cannot compare a text column with a NUL byte: the lookup raised DataError and
    # the API answered 500 (found by Schemathesis in CI's service run).
    version = stored_version()
    with django_capture_on_commit_callbacks(execute=True):
        created = client_for(company.alice).post(
            "/api/requests/",
            {"version": version.pk, "team": "studio", "intended_use": "commercial-products"},
            format="json",
        )
    url = f"/api/requests/{created.json()['id']}/reviews/"
    body = {"decision": "reject", "role": "legal\x00"}
    response = client_for(company.sam).post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "invalid"
