"""What every portal page's top bar needs, for the signed-in user."""

from __future__ import annotations

from django.http import HttpRequest

from governance.approvals.selectors import pending_review_count


def pending_reviews(request: HttpRequest) -> dict:
    """``pending_reviews``: how many requests wait for the user's review. A callable, so the
    count is queried only on pages whose template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"pending_reviews": lambda: pending_review_count(user)}
