"""The team portal: one workspace page with four panels, and the htmx fragments inside it.

Views are thin: they parse the request, call a portal or domain selector or service and
render. A fragment asked for by htmx (``HX-Request``) is rendered alone; asked for by a
browser without JavaScript, the same URL answers with the whole workspace around it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from governance.approvals import selectors as approval_selectors
from governance.approvals import services as approvals
from governance.catalog import selectors as catalog
from governance.catalog.models import CommercialUse, ModelType, ModelVersion
from governance.connectors import services as connectors
from governance.connectors.models import ConnectorJob
from governance.errors import HubgateError
from governance.licensing.selectors import intended_uses_visible_to

from . import selectors
from .forms import ImportForm, RequestForm, ReviewForm


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _gallery_context(request: HttpRequest, pk: int) -> dict:
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


def _management_context(request: HttpRequest) -> dict:
    return {
        "memberships": selectors.my_memberships(request.user),
        "mine": selectors.my_requests(request.user),
        "queue": selectors.reviewer_queue(request.user),
        "jobs": selectors.active_jobs(request.user),
        "scans": selectors.active_scans(request.user),
        "review_form": ReviewForm(),
        "import_form": ImportForm(user=request.user),
    }


def _discovery_context(request: HttpRequest) -> dict:
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
    context = _discovery_context(request)
    selected = request.GET.get("model", "")
    if selected.isdigit():
        context.update(_gallery_context(request, int(selected)))
    context.update(_management_context(request))
    return render(request, "portal/workspace.html", context)


@login_required
@require_GET
def discovery_results(request: HttpRequest) -> HttpResponse:
    """Discovery's results list (htmx swaps it in as the user types or filters)."""
    if not _is_htmx(request):
        return workspace(request)
    return render(request, "portal/_results.html",
                  {"results": selectors.discovery_results(user=request.user,
                                                          params=request.GET)})  # fmt: skip


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
            return render(request, "portal/_recommendations.html",
                          {"kind": kind, "items": [], "needs_model": True})  # fmt: skip
    items = selectors.recommendations(user=request.user, kind=kind, model=model)
    return render(request, "portal/_recommendations.html", {"kind": kind, "items": items})


@login_required
@require_GET
def gallery(request: HttpRequest, pk: int) -> HttpResponse:
    """The Gallery panel for one model (htmx), or the workspace with it selected."""
    if not _is_htmx(request):
        return redirect(reverse("portal:workspace") + f"?model={pk}")
    return render(request, "portal/_gallery.html", _gallery_context(request, pk))


@login_required
@require_GET
def management(request: HttpRequest) -> HttpResponse:
    """The Management panel: my teams' requests, the reviewer queue, jobs and scans."""
    if not _is_htmx(request):
        return workspace(request)
    return render(
        request, "portal/_management.html", {**_management_context(request), "in_workspace": True}
    )


@login_required
@require_POST
def import_model(request: HttpRequest) -> HttpResponse:
    """Import a model from CivitAI for one of my teams; its progress shows in Management."""
    form = ImportForm(request.POST, user=request.user)
    error = "" if form.is_valid() else "Give a CivitAI model id, URL, AIR or file hash."
    job = None
    if not error:
        try:
            job = connectors.start_job(
                kind=ConnectorJob.Kind.IMPORT, reference=form.cleaned_data["reference"],
                options={"download": False, "track": True}, actor=request.user,
                owning_team=form.cleaned_data["team"],
            )  # fmt: skip
        except HubgateError as exc:
            error = exc.detail
    if _is_htmx(request):
        if job is not None:
            job.refresh_from_db()
        # 200 even for a refusal: htmx swaps only successful responses, and the fragment
        # carries the error as an alert.
        return render(request, "portal/_import_result.html", {"job": job, "error": error})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Import of {job.reference} started.")
    return redirect(reverse("portal:workspace") + "#management")


#: Long work whose progress a status fragment shows: how to find one the user may see, and
#: the fragment that polls itself until the work is over.
_STATUS = {
    "job": (selectors.job, "portal/_job_status.html"),
    "scan": (selectors.scan, "portal/_scan_status.html"),
}


@login_required
@require_GET
def work_status(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """An import job's or a scan's progress; htmx polls it until the work is over."""
    find, template = _STATUS[kind]
    work = find(request.user, pk)
    if work is None:
        raise Http404(f"No such {kind}, or you may not see it.")
    return render(request, template, {kind: work})


@login_required
def model_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One model on a page of its own: the Gallery panel, then similar models (htmx)."""
    return render(request, "portal/model_detail.html", _gallery_context(request, pk))


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


@login_required
@require_POST
def request_version(request: HttpRequest, pk: int) -> HttpResponse:
    """Request a version for one of the user's teams (the request service does the rest)."""
    version = get_object_or_404(catalog.visible_versions(request.user), pk=pk)
    back = reverse("portal:workspace") + f"?model={version.model_id}"
    form = RequestForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, "Choose one of your teams and name the intended use.")
        return redirect(back)
    try:
        created = approvals.request_model(requester=request.user, version=version,
                                          **form.cleaned_data)  # fmt: skip
    except HubgateError as exc:
        messages.error(request, exc.detail)
        return redirect(back)
    messages.success(request, f"Requested {version} for {created.team}: now {created.state}.")
    return redirect(reverse("portal:workspace") + f"?model={version.model_id}#management")


@login_required
def requests_page(request: HttpRequest) -> HttpResponse:
    """My teams' requests with their progress, and the reviewer's queue, as a page."""
    return render(request, "portal/requests.html", _management_context(request))


@login_required
@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or reject a request from the reviewer queue."""
    model_request = get_object_or_404(approval_selectors.requests_visible_to(request.user), pk=pk)
    form = ReviewForm(request.POST)
    back = request.POST.get("back") == "workspace"
    target = reverse("portal:workspace") + "#management" if back else reverse("portal:requests")
    if not form.is_valid():
        messages.error(request, "Choose approve or reject.")
        return redirect(target)
    try:
        approvals.review_request(request=model_request, reviewer=request.user,
                                 **form.cleaned_data)  # fmt: skip
    except HubgateError as exc:
        messages.error(request, exc.detail)
    else:
        model_request.refresh_from_db()
        messages.success(request, f"Recorded. The request is now {model_request.state}.")
    return redirect(target)
