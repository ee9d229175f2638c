"""The one place the portal tells an htmx request from a plain browser's.

Every fragment URL works both ways: htmx (``HX-Request: true``) swaps the fragment in; a
browser without JavaScript gets the same fragment inside a whole page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

#: The page a fragment is wrapped in for a plain browser: a heading and ``{% include fragment %}``.
FRAGMENT_PAGE = "community/page.html"


def is_htmx(request: HttpRequest) -> bool:
    """Whether htmx sent this request (and so wants the fragment alone)."""
    return request.headers.get("HX-Request") == "true"


def render_partial_or_page(
    request: HttpRequest,
    partial: str,
    context: dict,
    *,
    title: str,
    status: int = 200,
    page: str = FRAGMENT_PAGE,
) -> HttpResponse:
    """Render ``partial`` alone for htmx, or inside ``page`` titled ``title`` for a browser."""
    if is_htmx(request):
        return render(request, partial, context, status=status)
    return render(request, page, {**context, "fragment": partial, "title": title}, status=status)
