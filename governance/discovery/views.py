"""The search results fragment (htmx) the portal's Discovery panel swaps in."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from governance.catalog.models import Image, ModelVersion
from governance.errors import HubgateError

from . import selectors


@login_required
@require_GET
def results(request: HttpRequest) -> HttpResponse:
    """One page of search results for the GET parameters of :class:`selectors.SearchParams`."""
    try:
        params = selectors.SearchParams.from_query_dict(request.GET)
        found = selectors.search(user=request.user, params=params)
    except HubgateError as exc:
        return render(request, "discovery/_results.html", {"error": exc}, status=exc.status)
    from django.db.models import prefetch_related_objects

    prefetch_related_objects(
        [hit.model for hit in found.hits],
        "tags",
        Prefetch(
            "versions",
            queryset=ModelVersion.objects.prefetch_related(
                Prefetch("images", queryset=Image.objects.order_by("position", "id"))
            ),
        ),
    )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("offset", None)
    return render(
        request,
        "discovery/_results.html",
        {
            "results": found,
            "querystring": query.urlencode(),
            "next_offset": params.offset + params.limit,
            "previous_offset": max(params.offset - params.limit, 0),
        },
    )
