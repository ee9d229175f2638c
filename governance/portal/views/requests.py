"""Requests and their progress: the Management panel, importing from CivitAI, requesting a
version for a team, the reviewer's queue, and the status of long work (imports, scans).

Views are thin: they parse the request, call an approvals or connectors service (or a portal
selector) and render or redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from governance.approvals import selectors as approval_selectors
from governance.approvals import services as approvals
from governance.approvals.models import Waiver
from governance.catalog import selectors as catalog
from governance.connectors import services as connectors
from governance.connectors.models import ConnectorJob
from governance.errors import HubgateError, NotFound
from governance.scanning.models import Finding

from .. import selectors
from ..forms import ImportForm, RequestForm, ReviewForm, WaiverForm
from ..htmx import is_htmx
from .workspace import management_context, workspace


@login_required
@require_GET
def management(request: HttpRequest) -> HttpResponse:
    """The Management panel: my teams' requests, the reviewer queue, jobs and scans."""
    if not is_htmx(request):
        return workspace(request)
    return render(
        request, "portal/_management.html", {**management_context(request), "in_workspace": True}
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
                kind=ConnectorJob.Kind.IMPORT,
                reference=form.cleaned_data["reference"],
                options={"download": False, "track": True},
                actor=request.user,
                owning_team=form.cleaned_data["team"],
            )
        except HubgateError as exc:
            error = exc.detail
    if is_htmx(request):
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
        created = approvals.request_model(
            requester=request.user, version=version, **form.cleaned_data
        )
    except HubgateError as exc:
        messages.error(request, exc.detail)
        return redirect(back)
    messages.success(request, f"Requested {version} for {created.team}: now {created.state}.")
    warning = selectors.request_license_warning(
        user=request.user, version=version, slug=created.intended_use
    )
    if warning:
        messages.warning(request, warning)
    return redirect(reverse("portal:workspace") + f"?model={version.model_id}#management")


@login_required
def requests_page(request: HttpRequest) -> HttpResponse:
    """My teams' requests with their progress, and the reviewer's queue, as a page."""
    return render(request, "portal/requests.html", management_context(request))


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
        approvals.review_request(request=model_request, reviewer=request.user, **form.cleaned_data)
    except HubgateError as exc:
        messages.error(request, exc.detail)
    else:
        model_request.refresh_from_db()
        messages.success(request, f"Recorded. The request is now {model_request.state}.")
    return redirect(target)


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """The requester withdraws their own open request."""
    model_request = get_object_or_404(approval_selectors.requests_visible_to(request.user), pk=pk)
    back = request.POST.get("back") == "workspace"
    target = reverse("portal:workspace") + "#management" if back else reverse("portal:requests")
    try:
        approvals.withdraw_request(request=model_request, actor=request.user)
    except HubgateError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Withdrew the request for {model_request.version}.")
    return redirect(target)


@login_required
@require_GET
def request_license_check(request: HttpRequest, pk: int) -> HttpResponse:
    """The request form's warning when the chosen intended use is not license-compliant
    (htmx swaps it in as the choice changes)."""
    version = get_object_or_404(catalog.visible_versions(request.user), pk=pk)
    warning = selectors.request_license_warning(
        user=request.user, version=version, slug=request.GET.get("intended_use", "")
    )
    return render(request, "portal/_license_warning.html", {"warning": warning})


@login_required
@require_POST
def waive(request: HttpRequest, pk: int) -> HttpResponse:
    """A waiving reviewer waives one failing finding of the request's version (the waiver
    service checks the role, the severity, the justification and the expiry)."""
    model_request = get_object_or_404(approval_selectors.requests_visible_to(request.user), pk=pk)
    form = WaiverForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a justification, a scope and an expiry date.")
        return redirect(reverse("portal:requests"))
    finding = Finding.objects.filter(pk=form.cleaned_data["finding"]).first()
    try:
        if finding is None:
            raise NotFound("No such finding.")
        approvals.grant_waiver(
            version=model_request.version,
            finding=finding,
            granted_by=request.user,
            justification=form.cleaned_data["justification"],
            scope=form.cleaned_data["scope"],
            expires_at=form.expires_at(),
        )
    except HubgateError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Waived {finding.code} on {model_request.version}.")
    return redirect(reverse("portal:requests"))


@login_required
@require_POST
def revoke_waiver(request: HttpRequest, pk: int) -> HttpResponse:
    """A waiving reviewer revokes a live waiver; its finding blocks again."""
    visible = Waiver.objects.filter(version__in=catalog.visible_versions(request.user))
    waiver = get_object_or_404(visible, pk=pk)
    try:
        approvals.revoke_waiver(waiver=waiver, actor=request.user)
    except HubgateError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Revoked the waiver of {waiver.code}.")
    return redirect(reverse("portal:requests"))
