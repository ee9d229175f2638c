"""Finding models: Discovery's results, recommendations, the Gallery, a model's page, and the
uploader of a version's files.

Views are thin: they parse the request, call a portal or domain selector and render.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from governance.catalog import selectors as catalog
from governance.catalog.models import ModelVersion

from .. import selectors
from ..htmx import is_htmx
from .workspace import gallery_context, workspace


@login_required
@require_GET
def discovery_results(request: HttpRequest) -> HttpResponse:
    """Discovery's results list (htmx swaps it in as the user types or filters)."""
    if not is_htmx(request):
        return workspace(request)
    results = selectors.discovery_results(user=request.user, params=request.GET)
    return render(request, "portal/_results.html", {"results": results})


@login_required
@require_GET
def recommendations(request: HttpRequest, kind: str) -> HttpResponse:
    """One tab of recommendations: for you, similar (to ?model=), trending or new."""
    if kind not in selectors.RECOMMENDATION_KINDS:
        raise Http404("No such kind of recommendation.")
    model = None
    if kind == "similar":
        pk = request.GET.get("model", "")
        model = catalog.visible_models(request.user).filter(pk=pk).first() if pk.isdigit() else None
        if model is None:
            return render(
                request,
                "portal/_recommendations.html",
                {"kind": kind, "items": [], "needs_model": True},
            )
    items = selectors.recommendations(user=request.user, kind=kind, model=model)
    return render(request, "portal/_recommendations.html", {"kind": kind, "items": items})


@login_required
@require_GET
def gallery(request: HttpRequest, pk: int) -> HttpResponse:
    """The Gallery panel for one model (htmx), or the workspace with it selected."""
    if not is_htmx(request):
        return redirect(reverse("portal:workspace") + f"?model={pk}")
    return render(request, "portal/_gallery.html", gallery_context(request, pk))


@login_required
def model_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One model on a page of its own: the Gallery panel, then similar models (htmx)."""
    return render(request, "portal/model_detail.html", gallery_context(request, pk))


@login_required
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    """The resumable uploader for one version (it talks to /api/uploads/)."""
    version = get_object_or_404(
        ModelVersion.objects.select_related("model").filter(
            model__in=catalog.visible_models(request.user)
        ),
        pk=pk,
    )
    if not catalog.can_change_model(request.user, version.model):
        raise PermissionDenied("Only the owning team or an administrator may add files here.")
    return render(request, "portal/upload.html", {"version": version})
