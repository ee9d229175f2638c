import factory

from governance.usage.models import UsageEvent
from tests.catalog.factories import ModelVersionFactory


class UsageEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UsageEvent

    kind = UsageEvent.Kind.DOWNLOAD
    version = factory.SubFactory(ModelVersionFactory)
    client = "api"
