"""Licensing test data: factories, the shipped catalog and the demo intended-use profiles.

Every licensing row is written by ``governance.licensing.services`` (versioned, revised,
audited, re-evaluating the requests it affects), so the factories call those services. No
factory for ``LicenseRevision`` (``create_license``/``update_license`` write it) nor for
``LicenseDecision``: ``record_license_decision`` accepts only a version whose verdict for the
profile is "needs review", which takes a license catalog and reviewers; ``decide`` below
does it on the ``company`` fixture."""

from contextlib import nullcontext
from datetime import timedelta

import factory
from django.utils import timezone

from governance.approvals import services as approvals
from governance.demo.licensing import seed_intended_uses
from governance.hookspecs import LICENSE_TERMS
from governance.licensing import services
from governance.licensing.models import BaseModelLicense, DeclaredLicense, IntendedUse, License
from governance.licensing.services import sync_license_catalog
from tests.catalog.factories import ModelFactory

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


def _allowed_terms() -> dict[str, dict[str, str]]:
    return {
        term: {"permission": "allowed", "clause": f"Section 2({chr(ord('a') + i)})"}
        for i, term in enumerate(LICENSE_TERMS)
    }


class LicenseFactory(factory.django.DjangoModelFactory):
    """A permissive license added to the catalog by ``create_license`` (version 1, revised)."""

    class Meta:
        model = License

    key = factory.Sequence(lambda n: f"acme-open-{n}.0")
    name = factory.Sequence(lambda n: f"Acme Open Model License {n}.0")
    url = factory.LazyAttribute(lambda o: f"https://licenses.example.com/{o.key}")
    summary = "Use, share and sell the model and its outputs."
    grant_clause = "Section 2"
    terms = factory.LazyFunction(_allowed_terms)
    actor = None  # the system, as when the shipped catalog is loaded

    @classmethod
    def _create(cls, model_class, *, key, actor, **values):
        return services.create_license(key=key, actor=actor, **values)


class BaseModelLicenseFactory(factory.django.DjangoModelFactory):
    """The license of a base-model family, set by ``set_base_model_license``."""

    class Meta:
        model = BaseModelLicense

    base_model = factory.Sequence(lambda n: f"Acme Diffusion {n}.0")
    license = factory.SubFactory(LicenseFactory)
    note = "Per the model card."
    actor = None

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.set_base_model_license(**kwargs)


class DeclaredLicenseFactory(factory.django.DjangoModelFactory):
    """The license a model's publisher declares, recorded by ``declare_license``."""

    class Meta:
        model = DeclaredLicense

    model = factory.SubFactory(ModelFactory)
    license = factory.SubFactory(LicenseFactory)
    source = factory.LazyAttribute(lambda o: f"https://huggingface.co/acme/{o.model.pk}")
    actor = None

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.declare_license(**kwargs)


class IntendedUseFactory(factory.django.DjangoModelFactory):
    """A company-wide intended-use profile saved by ``save_intended_use``."""

    class Meta:
        model = IntendedUse

    slug = factory.Sequence(lambda n: f"internal-tooling-{n}")
    name = factory.Sequence(lambda n: f"Internal tooling {n}")
    description = "Images for internal slides and mock-ups; nothing is sold."
    team = None
    needs = factory.LazyFunction(lambda: ["commercial_outputs"])
    accepts_use_restrictions = True
    territories = factory.LazyFunction(lambda: ["EU", "US"])
    actor = None

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.save_intended_use(**kwargs)
