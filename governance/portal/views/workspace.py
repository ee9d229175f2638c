"""The workspace: the whole product on one page, Discovery, Gallery, Community and Management.

Its panels' contexts live here too, because the panels' own fragments (in ``catalog`` and
``requests``) and pages without JavaScript build the same contexts.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from governance.catalog import selectors as catalog
from governance.catalog.models import CommercialUse, ModelType
from governance.licensing.selectors import intended_uses_visible_to

from .. import selectors
from ..forms import ImportForm, RequestForm, ReviewForm


def gallery_context(request: HttpRequest, pk: int) -> dict:
    """The Gallery panel of model ``pk``; 404 if the user may not see it."""
    gallery = selectors.gallery(user=request.user, pk=pk)
    if gallery is None:
        raise Http404("No such model, or you may not see it.")
    return {
        "gallery": gallery,
        "model": gallery.model,
        "versions": gallery.versions,
        "usage": gallery.usage,
        "can_upload": gallery.can_upload,
        "request_form": RequestForm(user=request.user),
        "intended_uses": list(intended_uses_visible_to(request.user).order_by("name")),
        "share_url": request.build_absolute_uri(reverse("portal:workspace") + f"?model={pk}"),
    }


def management_context(request: HttpRequest) -> dict:
    """The Management panel: my teams' requests, the reviewer queue, jobs and scans."""
    return {
        "memberships": selectors.my_memberships(request.user),
        "mine": selectors.my_requests(request.user, page=request.GET.get("mine_page", 1)),
        "queue": selectors.reviewer_queue(request.user),
        "jobs": selectors.active_jobs(request.user),
        "scans": selectors.active_scans(request.user),
        "review_form": ReviewForm(),
        "import_form": ImportForm(user=request.user),
    }


def discovery_context(request: HttpRequest) -> dict:
    """The Discovery panel: results for the query string, and the filters to refine them."""
    visible = catalog.visible_models(request.user)
    return {
        "results": selectors.discovery_results(user=request.user, params=request.GET),
        "types": ModelType.choices,
        "commercial_uses": CommercialUse.choices,
        "base_models": catalog.base_model_counts(visible)[:40],
        "popular_tags": catalog.popular_tags(visible, limit=24),
        "sorts": list(selectors.SORTS),
        "rec_kinds": selectors.RECOMMENDATION_KINDS,
    }


@login_required
@require_GET
def workspace(request: HttpRequest) -> HttpResponse:
    """The whole product on one page: Discovery, Gallery, Community and Management."""
    context = discovery_context(request)
    selected = request.GET.get("model", "")
    if selected.isdigit():
        context.update(gallery_context(request, int(selected)))
    context.update(management_context(request))
    return render(request, "portal/workspace.html", context)
