"""Audit entries are appended only by ``governance.audit.services.record`` (it computes the
hash chain and moves the head), so the factory calls it. No factory for ``AuditHead``: it is
the chain's seal, written by ``record`` in the same transaction as each entry."""

import factory

from governance.audit.models import AuditEntry
from governance.audit.services import record
from tests.accounts.factories import TeamFactory, UserFactory


class AuditEntryFactory(factory.django.DjangoModelFactory):
    """One appended entry; ``obj`` (a saved model instance) names what it is about."""

    class Meta:
        model = AuditEntry

    action = "team.renamed"
    actor = factory.SubFactory(UserFactory)
    obj = factory.SubFactory(TeamFactory)
    before = factory.LazyFunction(lambda: {"name": "Studio"})
    after = factory.LazyAttribute(lambda e: {"name": e.obj.name} if e.obj else None)

    @classmethod
    def _create(cls, model_class, **kwargs):
        return record(**kwargs)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise TypeError("An audit entry is part of the hash chain: use AuditEntryFactory()")
