"""The moderators' queue: held reviews and comments and open reports (community services)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods

from governance.community import selectors, services
from governance.community.models import Comment, Report, Review
from governance.errors import HubgateError

from ..htmx import is_htmx, render_partial_or_page


@login_required
@require_http_methods(["GET", "POST"])
def moderation(request: HttpRequest) -> HttpResponse:
    """Held reviews and comments and open reports; moderators hide, restore or dismiss."""
    if not selectors.is_moderator(request.user):
        raise Http404("Only moderators have a moderation queue.")
    error, status = "", 200
    if request.method == "POST":
        kinds = {"review": Review, "comment": Comment}
        kind, pk = request.POST.get("target", ""), request.POST.get("id", "")
        try:
            if request.POST.get("action") == "dismiss":
                services.dismiss_report(
                    moderator=request.user, report=get_object_or_404(Report, pk=int(pk))
                )
            else:
                if kind not in kinds or not pk.isdigit():
                    raise HubgateError("Choose a review or comment.")
                services.moderate_content(
                    moderator=request.user,
                    target=get_object_or_404(kinds[kind], pk=int(pk)),
                    action=request.POST.get("action", ""),
                    reason=request.POST.get("reason", ""),
                )
        except HubgateError as exc:
            error, status = exc.detail, exc.status
        except ValueError:
            error, status = "Choose a report.", 400
        if not error and not is_htmx(request):
            return redirect("community:moderation")
    return render_partial_or_page(
        request,
        "community/_moderation.html",
        {"queue": selectors.moderation_queue(request.user), "error": error},
        title="Moderation",
        status=status,
    )
