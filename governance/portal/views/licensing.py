"""Compliance reports and NOTICE files in the portal: thin views over the licensing selectors.

``?format=csv`` or ``?format=json`` downloads a report for auditors.
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from governance.approvals import compliance
from governance.licensing import selectors
from governance.licensing.export import report_csv
from governance.licensing.terms import TERM_LABELS


def _respond(request: HttpRequest, report: dict, *, title: str, filename: str) -> HttpResponse:
    fmt = request.GET.get("format", "html")
    if fmt == "csv":
        response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    if fmt == "json":
        response = HttpResponse(json.dumps(report, indent=2), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{filename}.json"'
        return response
    context = {
        "report": report,
        "title": title,
        "term_labels": TERM_LABELS,
        "teams": selectors.reportable_teams(request.user),
        "company": selectors.can_read_company_report(request.user),
    }
    return render(request, "licensing/report.html", context)


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    """The user's teams' reports (every team's for staff and legal reviewers)."""
    teams = list(selectors.reportable_teams(request.user))
    if not teams and not selectors.can_read_company_report(request.user):
        raise PermissionDenied("You belong to no team.")
    report = compliance.compliance_report(teams=teams)
    return _respond(request, report, title="License compliance: my teams", filename="compliance")


@login_required
def company_report(request: HttpRequest) -> HttpResponse:
    if not selectors.can_read_company_report(request.user):
        raise PermissionDenied("Only administrators and legal reviewers see every team.")
    report = compliance.compliance_report()
    return _respond(
        request, report, title="License compliance: the company", filename="compliance-company"
    )


def _team(request: HttpRequest, slug: str):
    team = selectors.reportable_teams(request.user).filter(slug=slug).first()
    if team is None:
        raise Http404("No such team.")
    return team


@login_required
def team_report(request: HttpRequest, slug: str) -> HttpResponse:
    team = _team(request, slug)
    report = compliance.compliance_report(teams=[team])
    return _respond(
        request,
        report,
        title=f"License compliance: {team.name}",
        filename=f"compliance-{team.slug}",
    )


@login_required
def team_notice(request: HttpRequest, slug: str) -> HttpResponse:
    """The team's NOTICE file, as plain text."""
    team = _team(request, slug)
    response = HttpResponse(
        compliance.attribution_notice(team=team), content_type="text/plain; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="NOTICE-{team.slug}.txt"'
    return response
