"""Usage analytics (company, team, model; ``?format=csv`` downloads the figures) and who uses
a version: thin views over the usage selectors and charts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from governance.errors import HubgateError
from governance.usage import charts
from governance.usage import selectors as usage

from ..htmx import render_partial_or_page


def _analytics(request: HttpRequest, scope: usage.Scope) -> HttpResponse:
    days = request.GET.get("days", "90")
    days = int(days) if days.isdigit() and 1 <= int(days) <= 730 else 90
    data = usage.usage_analytics(request.user, scope, days=days)
    if request.GET.get("format") == "csv":
        response = HttpResponse(usage.analytics_csv(data), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="usage-{scope.kind}-{data.end:%Y%m%d}.csv"'
        )
        return response
    context = {
        "analytics": data,
        "days": days,
        "chart": charts.line_chart(
            data.series,
            series=[("download", "Downloads"), ("deployment", "CI deployments")],
            title=f"Downloads and deployments per day, {scope.label}",
        ),
        "base_chart": charts.bar_chart(
            [(r["base_model"], r["total"] or 0) for r in data.by_base_model],
            title="Use by base model",
        ),
        "type_chart": charts.bar_chart(
            [(r["model_type"], r["total"] or 0) for r in data.by_type], title="Use by model type"
        ),
    }
    return render_partial_or_page(
        request, "community/_analytics.html", context, title=f"Usage of {scope.label}"
    )


def _scoped_analytics(request: HttpRequest, **scope: object) -> HttpResponse:
    try:
        found = usage.analytics_scope(request.user, **scope)
    except HubgateError:
        raise Http404("No such team or model, or you may not see it.") from None
    return _analytics(request, found)


@login_required
@require_GET
def company_analytics(request: HttpRequest) -> HttpResponse:
    """Use of every model the user may see, across the company."""
    return _scoped_analytics(request)


@login_required
@require_GET
def team_analytics(request: HttpRequest, slug: str) -> HttpResponse:
    """One team's use of models."""
    return _scoped_analytics(request, team_slug=slug)


@login_required
@require_GET
def model_analytics(request: HttpRequest, model_id: int) -> HttpResponse:
    """One model's use, by every team that may see it."""
    return _scoped_analytics(request, model_id=model_id)


@login_required
@require_GET
def who_uses(request: HttpRequest, version_id: int) -> HttpResponse:
    """Teams, CI deployments and last use of a version: read before deprecating it."""
    version = usage.version_usage_visible_to(request.user, version_id)
    if version is None:
        raise Http404("No such version, or you may not see who uses it.")
    return render_partial_or_page(
        request,
        "community/_who_uses.html",
        {"who": usage.who_uses_version(version), "version": version},
        title=f"Who uses {version}",
    )
