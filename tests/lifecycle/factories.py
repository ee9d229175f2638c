import factory

from governance.catalog.models import VersionState
from governance.lifecycle.models import Deprecation
from governance.lifecycle.services import deprecate_version
from tests.accounts.factories import UserFactory
from tests.catalog.factories import ModelVersionFactory


class DeprecationFactory(factory.django.DjangoModelFactory):
    """An approved version deprecated through ``deprecate_version`` (state, audit, event).

    ``deprecated_by`` is an administrator by default (a lead of the owning team may too);
    ``successor`` must be another approved version and ``sunset_at`` in the future.
    """

    class Meta:
        model = Deprecation

    version = factory.SubFactory(ModelVersionFactory, state=VersionState.APPROVED)
    reason = "Superseded by a retrained version with fewer artefacts."
    successor = None
    sunset_at = None
    deprecated_by = factory.SubFactory(UserFactory, is_staff=True)

    @classmethod
    def _create(cls, model_class, *, version, deprecated_by, **fields):
        deprecate_version(version=version, actor=deprecated_by, **fields)
        return Deprecation.objects.get(version=version)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise TypeError("A deprecation moves its version's state: use DeprecationFactory()")
