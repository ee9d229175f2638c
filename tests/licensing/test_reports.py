"""Compliance reports (rows, violations, waivers) and NOTICE files, in the API's selectors
and the portal's pages."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.approvals import compliance
from governance.approvals import services as approvals
from governance.approvals.models import ModelRequest
from governance.errors import Conflict
from governance.licensing import services
from governance.licensing.models import IntendedUse, License

pytestmark = pytest.mark.django_db


def approve(company, request, capture):
    """Both reviewers approve, where the gates let them (a failing gate refuses approval)."""
    with capture(execute=True):
        for reviewer in (company.sam, company.lee):
            with contextlib.suppress(Conflict):
                approvals.review_request(request=request, reviewer=reviewer, decision="approve")
    request.refresh_from_db()
    return request


def approved(company, version, capture, use="commercial-products"):
    with capture(execute=True):
        request = approvals.request_model(
            requester=company.alice, team=company.team, version=version, intended_use=use
        )
    return approve(company, request, capture)


def test_the_report_lists_uses_terms_violations_and_waivers(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    ok = approved(
        company, stored_version(model__name="Ink LoRA"), django_capture_on_commit_callbacks
    )
    decided_version = stored_version(base_model="SD 3.5 Large", model__name="Meridian")
    decided = approved(company, decided_version, django_capture_on_commit_callbacks)
    assert decided.state == "in_review"
    with django_capture_on_commit_callbacks(execute=True):
        services.record_license_decision(
            version=decided_version,
            intended_use=IntendedUse.objects.get(slug="commercial-products"),
            decided_by=company.lee,
            outcome="compliant",
            justification="Below USD 1M.",
            expires_at=timezone.now() + timedelta(days=30),
        )
    assert approve(company, decided, django_capture_on_commit_callbacks).state == "approved"
    blocked = approved(
        company,
        stored_version(base_model="Flux.1 D", model__name="Dev LoRA"),
        django_capture_on_commit_callbacks,
    )
    # An approval whose license changed under it, before the re-evaluation ran: a violation.
    ModelRequest.objects.filter(pk=blocked.pk).update(state="approved")

    report = compliance.compliance_report(teams=[company.team])
    rows = {row["model"]: row for row in report["rows"]}
    assert rows["Ink LoRA"]["verdict"] == "compliant" and rows["Ink LoRA"]["request_id"] == ok.pk
    assert rows["Meridian"]["verdict"] == "compliant" and rows["Meridian"]["decision"]
    assert rows["Meridian"]["evaluated_verdict"] == "needs_review"
    assert rows["Dev LoRA"]["violation"] is True
    assert [v["model"] for v in report["violations"]] == ["Dev LoRA"]
    assert [w["kind"] for w in report["waivers"]] == ["license"]
    assert report["summary"] == {
        "requests": 3,
        "compliant": 2,
        "needs_review": 0,
        "non_compliant": 1,
        "violations": 1,
        "waivers": 1,
    }
    assert compliance.compliance_report(teams=[company.other_team])["rows"] == []


def test_the_notice_credits_creators_and_reproduces_license_notices(
    company, stored_version, django_capture_on_commit_callbacks
) -> None:
    credit = stored_version(
        model__allow_no_credit=False,
        model__creator__username="inkwell",
        model__name="Ink LoRA",
        base_model="SD 3.5 Large",
    )
    with django_capture_on_commit_callbacks(execute=True):
        request = approvals.request_model(
            requester=company.alice,
            team=company.team,
            version=credit,
            intended_use="internal-research",
        )
        for reviewer in (company.sam, company.lee):
            approvals.review_request(request=request, reviewer=reviewer, decision="approve")
    quiet = stored_version(model__name="Plain LoRA")
    approved(company, quiet, django_capture_on_commit_callbacks, use="internal-research")
    text = compliance.attribution_notice(team=company.team)
    assert "Ink LoRA" in text and "by inkwell" in text and "Credit required" in text
    assert "This Stability AI Model is licensed under the Stability AI Community License" in text
    assert "Plain LoRA" in text.split("LICENSE NOTICES")[1], "listed under its license notice"
    assert "Plain LoRA" not in text.split("LICENSE NOTICES")[0], "its creator wants no credit"
    assert License.objects.get(key="creativeml-openrail-pp-m").notice in text


def test_portal_pages(company, stored_version, django_capture_on_commit_callbacks, client):
    approved(company, stored_version(model__name="Ink LoRA"), django_capture_on_commit_callbacks)
    client.force_login(company.alice)
    page = client.get(reverse("licensing:reports"))
    assert page.status_code == 200 and "Ink LoRA" in page.content.decode()
    team = reverse("licensing:team", args=[company.team.slug])
    assert client.get(team + "?format=csv")["Content-Type"].startswith("text/csv")
    assert client.get(team + "?format=json").json()["summary"]["requests"] == 1
    notice = client.get(reverse("licensing:notice", args=[company.team.slug]))
    assert notice.content.decode().startswith("NOTICE")
    assert client.get(reverse("licensing:company")).status_code == 403
    assert client.get(reverse("licensing:team", args=[company.other_team.slug])).status_code == 404
    client.force_login(company.lee)
    assert client.get(reverse("licensing:company")).status_code == 200
