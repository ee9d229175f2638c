"""The team portal's catalog pages: thin views over catalog selectors and filters."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from governance.approvals import selectors as approval_selectors
from governance.approvals import services as approvals
from governance.catalog import selectors
from governance.catalog.filters import ModelFilter
from governance.catalog.models import CommercialUse, ModelType, ModelVersion
from governance.errors import HubgateError
from governance.lifecycle.selectors import usage_verdict

from .forms import RequestForm, ReviewForm

SORTS = {
    "popular": ("-download_count", "id"),
    "rating": ("-rating", "-rating_count", "id"),
    "newest": ("-created_at", "-id"),
    "name": ("name", "id"),
}


@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    """Browse and search the catalog; NSFW models stay hidden unless asked for."""
    visible = selectors.visible_models(request.user)
    params = request.GET.copy()
    if params.get("nsfw") != "":
        params.setdefault("nsfw", "false")
    filterset = ModelFilter(params, queryset=visible)
    sort = request.GET.get("sort", "popular")
    models = filterset.qs.order_by(*SORTS.get(sort, SORTS["popular"]))
    page = Paginator(selectors.with_catalog_details(models), 24).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    show_recommendations = not any(request.GET.get(k) for k in ("search", "type", "tag", "page"))
    return render(
        request,
        "portal/catalog.html",
        {
            "page": page,
            "filterset": filterset,
            "sort": sort,
            "sorts": list(SORTS),
            "types": ModelType.choices,
            "commercial_uses": CommercialUse.choices,
            "base_models": selectors.base_model_counts(visible),
            "popular_tags": selectors.popular_tags(visible, limit=24),
            "query": query.urlencode(),
            "recommended": selectors.recommended_for_user(user=request.user, limit=6)
            if show_recommendations
            else [],
        },
    )


@login_required
def model_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One model: its versions, files with hashes, permissions, scores and similar models."""
    model = get_object_or_404(
        selectors.with_catalog_details(selectors.visible_models(request.user)), pk=pk
    )
    versions = list(model.versions.all())
    prefetch_related_objects(versions, "scores", "files__blob__current_scan")
    return render(
        request,
        "portal/model_detail.html",
        {
            "model": model,
            "versions": versions,
            "similar": selectors.similar_models(model=model, user=request.user, limit=6),
            "can_upload": selectors.can_change_model(request.user, model),
            "request_form": RequestForm(user=request.user),
            "usage": {v.pk: usage_verdict(request.user, v) for v in versions},
        },
    )


@login_required
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    """The resumable uploader for one version (it talks to /api/uploads/)."""
    version = get_object_or_404(
        ModelVersion.objects.select_related("model").filter(
            model__in=selectors.visible_models(request.user)
        ),
        pk=pk,
    )
    if not selectors.can_change_model(request.user, version.model):
        raise PermissionDenied("Only the owning team or an administrator may add files here.")
    return render(request, "portal/upload.html", {"version": version})


@login_required
@require_POST
def request_version(request: HttpRequest, pk: int) -> HttpResponse:
    """Request a version for one of the user's teams (the request service does the rest)."""
    version = get_object_or_404(selectors.visible_versions(request.user), pk=pk)
    form = RequestForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, "Choose one of your teams and name the intended use.")
        return redirect("portal:model-detail", version.model_id)
    try:
        created = approvals.request_model(requester=request.user, version=version,
                                          **form.cleaned_data)  # fmt: skip
    except HubgateError as exc:
        messages.error(request, exc.detail)
        return redirect("portal:model-detail", version.model_id)
    messages.success(request, f"Requested {version} for {created.team}: now {created.state}.")
    return redirect("portal:requests")


@login_required
def requests_page(request: HttpRequest) -> HttpResponse:
    """My teams' requests with their progress, and the reviewer's queue."""
    mine = (
        approval_selectors.requests_visible_to(request.user)
        .filter(team__memberships__user=request.user)
        .prefetch_related("reviews__reviewer", "reviews__role", "gate_runs")
        .distinct()[:50]
    )
    queue = approval_selectors.review_queue(request.user).prefetch_related("gate_runs")[:50]
    return render(request, "portal/requests.html", {
        "mine": mine, "queue": queue, "review_form": ReviewForm(),
    })  # fmt: skip


@login_required
@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or reject a request from the reviewer queue."""
    model_request = get_object_or_404(approval_selectors.requests_visible_to(request.user), pk=pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or reject.")
        return redirect("portal:requests")
    try:
        approvals.review_request(request=model_request, reviewer=request.user,
                                 **form.cleaned_data)  # fmt: skip
    except HubgateError as exc:
        messages.error(request, exc.detail)
    else:
        model_request.refresh_from_db()
        messages.success(request, f"Recorded. The request is now {model_request.state}.")
    return redirect("portal:requests")
