"""Licensing test data: the shipped catalog and the demo intended-use profiles."""

from contextlib import nullcontext
from datetime import timedelta

from django.utils import timezone

from governance.approvals import services as approvals
from governance.demo.licensing import seed_intended_uses
from governance.licensing import services
from governance.licensing.models import IntendedUse
from governance.licensing.services import sync_license_catalog

#: A CivitAI model whose creator allows every commercial use, merges and other terms.
PERMISSIVE_FLAGS = {
    "model__allow_no_credit": True,
    "model__commercial_image": True,
    "model__commercial_rent_civit": True,
    "model__commercial_rent": True,
    "model__commercial_sell": True,
    "model__allow_derivatives": True,
    "model__allow_different_license": True,
}


def install_licensing() -> None:
    """The shipped license catalog and the demo profiles (commercial-products,
    internal-research, …). The migration loads the catalog, but a transactional test's flush
    removes it, so tests that need it say so."""
    sync_license_catalog()
    seed_intended_uses()


def request_use(company, version, use: str, capture=None):
    """Alice asks for ``version`` for her team and ``use`` (its gates run as after commit
    when ``capture`` is django_capture_on_commit_callbacks)."""
    with capture(execute=True) if capture else nullcontext():
        return approvals.request_model(
            requester=company.alice, team=company.team, version=version, intended_use=use
        )


def approve_by_both(company, request, capture=None):
    """Both reviewers (Sam, Lee) approve ``request``; returns it, and its version, fresh."""
    with capture(execute=True) if capture else nullcontext():
        for reviewer in (company.sam, company.lee):
            approvals.review_request(request=request, reviewer=reviewer, decision="approve")
    request.refresh_from_db()
    request.version.refresh_from_db()
    return request


def decide(company, version, capture=None, *, profile="commercial-products", days=30, **fields):
    """Lee, the legal reviewer, decides ``version`` compliant for ``profile`` for ``days``
    (``fields`` override outcome, justification, decided_by, expires_at)."""
    values = {
        "outcome": "compliant",
        "justification": "Checked against the license by legal.",
        "decided_by": company.lee,
        "expires_at": timezone.now() + timedelta(days=days),
        **fields,
    }
    with capture(execute=True) if capture else nullcontext():
        return services.record_license_decision(
            version=version, intended_use=IntendedUse.objects.get(slug=profile), **values
        )
