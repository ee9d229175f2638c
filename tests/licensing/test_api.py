"""Licenses, evaluations, decisions and compliance reports over HTTP (problem+json errors)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from governance.approvals import services as approvals
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_catalog_is_readable_with_terms_and_revisions(company) -> None:
    api = client_for(company.alice)
    listing = api.get("/api/licenses/?search=Apache").json()
    assert [lic["key"] for lic in listing["results"]] == ["apache-2.0"]
    flux = api.get("/api/licenses/flux-1-dev-non-commercial/").json()
    assert flux["expression"] == "LicenseRef-hubgate-flux-1-dev-non-commercial"
    assert flux["terms"]["commercial_use"]["permission"] == "prohibited"
    assert api.get("/api/licenses/apache-2.0/").json()["spdx_id"] == "Apache-2.0"
    revisions = api.get("/api/licenses/flux-1-dev-non-commercial/revisions/").json()
    assert [r["version"] for r in revisions] == [1]
    base = api.get("/api/license-base-models/SD 3.5 Large/").json()
    assert base["license"] == "stability-ai-community"
    uses = {p["slug"] for p in api.get("/api/intended-uses/").json()["results"]}
    assert {"commercial-products", "internal-research"} <= uses


def test_an_evaluation_gives_the_verdict_and_reasons(company, stored_version) -> None:
    version = stored_version(base_model="Flux.1 D")
    api = client_for(company.alice)
    url = f"/api/license-evaluations/{version.pk}/"
    body = api.get(url, {"intended_use": "commercial-products"}).json()
    assert body["verdict"] == "non_compliant" and body["version_id"] == version.pk
    assert any(r["term"] == "commercial_use" and "§1(c)" in r["clause"] for r in body["reasons"])
    assert body["licenses"][0]["key"] == "flux-1-dev-non-commercial"
    assert api.get(url, {"intended_use": "internal-research"}).json()["verdict"] == "compliant"
    missing = api.get(url)
    assert missing.status_code == 400 and missing["Content-Type"] == "application/problem+json"
    assert missing.json()["errors"] == {"intended_use": ["required"]}
    assert api.get(url, {"intended_use": "nope"}).status_code == 404


def test_legal_decisions_over_http(company, stored_version, django_capture_on_commit_callbacks):
    version = stored_version(base_model="SD 3.5 Large")
    with django_capture_on_commit_callbacks(execute=True):
        request = approvals.request_model(
            requester=company.alice,
            team=company.team,
            version=version,
            intended_use="commercial-products",
        )
    body = {
        "version": version.pk,
        "intended_use": "commercial-products",
        "decided_verdict": "compliant",
        "justification": "Below USD 1M; registered.",
        "expires_at": (timezone.now() + timedelta(days=60)).isoformat(),
    }
    refused = client_for(company.sam).post("/api/license-decisions/", body, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    with django_capture_on_commit_callbacks(execute=True):
        created = client_for(company.lee).post("/api/license-decisions/", body, format="json")
    assert created.status_code == 201, created.content
    decision = created.json()
    assert decision["decided_by"] == "lee" and decision["role"] == "legal"
    assert decision["reasons"] and decision["decided_verdict"] == "compliant"
    url = f"/api/license-evaluations/{version.pk}/?intended_use=commercial-products"
    evaluation = client_for(company.alice).get(url).json()
    assert (evaluation["verdict"], evaluation["evaluated_verdict"]) == (
        "compliant",
        "needs_review",
    )
    assert evaluation["decision"]["id"] == decision["id"]
    # A later decision supersedes an earlier one.
    with django_capture_on_commit_callbacks(execute=True):
        later = (
            client_for(company.lee)
            .post(
                "/api/license-decisions/",
                {**body, "decided_verdict": "non_compliant"},
                format="json",
            )
            .json()
        )
    assert client_for(company.alice).get(url).json()["verdict"] == "non_compliant"
    for decided in (later, decision):
        with django_capture_on_commit_callbacks(execute=True):
            revoked = client_for(company.lee).post(
                f"/api/license-decisions/{decided['id']}/revoke/"
            )
        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client_for(company.alice).get(url).json()["verdict"] == "needs_review"
    malformed = client_for(company.lee).post("/api/license-decisions/abc/revoke/")
    assert malformed.status_code == 404 and malformed.json()["code"] == "not_found"
    request.refresh_from_db()
    assert request.state == "in_review"


def test_compliance_reports_as_json_csv_and_notice(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    version = stored_version(model__allow_no_credit=False, model__creator__username="inkwell")
    with django_capture_on_commit_callbacks(execute=True):
        request = approvals.request_model(
            requester=company.alice,
            team=company.team,
            version=version,
            intended_use="commercial-products",
        )
        for reviewer in (company.sam, company.lee):
            approvals.review_request(request=request, reviewer=reviewer, decision="approve")
    alice = client_for(company.alice)
    slug = company.team.slug
    report = alice.get(f"/api/compliance-reports/{slug}/").json()
    assert report["summary"]["requests"] == 1 and report["summary"]["compliant"] == 1
    (row,) = report["rows"]
    assert row["licenses"] == "LicenseRef-hubgate-creativeml-openrail-pp-m"
    assert row["intended_use"] == "commercial-products" and row["requires_credit"] is True
    assert any("Credit required" in duty for duty in row["obligations"])
    as_csv = alice.get(f"/api/compliance-reports/{slug}/?format=csv")
    assert as_csv["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode())))
    assert rows[0]["verdict"] == "compliant" and rows[0]["model"] == version.model.name
    # An unknown ?format= is ignored (JSON), not DRF's bare 404.
    assert alice.get(f"/api/compliance-reports/{slug}/?format=xml").json()["scope"] == slug
    notice = alice.get(f"/api/compliance-reports/{slug}/notice/")
    assert notice["Content-Type"].startswith("text/plain")
    text = notice.content.decode()
    assert "inkwell" in text and "CreativeML Open RAIL++-M" in text
    # Other teams' reports and the company report are not for a member.
    outsider = client_for(company.outsider)
    assert outsider.get(f"/api/compliance-reports/{slug}/").status_code == 404
    assert outsider.get("/api/compliance-reports/").status_code == 403
    staff = client_for(UserFactory(username="root", is_staff=True))
    company_report = staff.get("/api/compliance-reports/").json()
    assert company_report["scope"] == "company" and company_report["summary"]["requests"] == 1
    assert client_for(company.lee).get("/api/compliance-reports/").status_code == 200, "legal"
