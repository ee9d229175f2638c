import factory
from django.conf import settings
from django.utils import timezone

from governance.catalog.models import Hub
from governance.connectors.models import ConnectorJob, HubConnection, TrackedModel
from tests.accounts.factories import UserFactory
from tests.catalog.factories import ModelFactory


class HubConnectionFactory(factory.django.DjangoModelFactory):
    """The CivitAI connection (one row per hub), healthy as of its last check."""

    class Meta:
        model = HubConnection
        django_get_or_create = ["hub"]

    hub = Hub.CIVITAI
    base_url = factory.LazyFunction(lambda: settings.HUBGATE_CIVITAI_BASE_URL)
    api_key_configured = True
    status = HubConnection.Status.OK
    latency_ms = 180
    detail = "GET /models?limit=1 answered 200."
    last_checked_at = factory.LazyFunction(timezone.now)
    last_success_at = factory.LazyAttribute(lambda c: c.last_checked_at)


class TrackedModelFactory(factory.django.DjangoModelFactory):
    """A catalog model the periodic sync keeps current, known by its own hub id."""

    class Meta:
        model = TrackedModel

    model = factory.SubFactory(ModelFactory)
    hub = factory.LazyAttribute(lambda t: t.model.hub)
    external_id = factory.LazyAttribute(lambda t: t.model.external_id)
    active = True
    added_by = factory.SubFactory(UserFactory)
    last_synced_at = factory.LazyFunction(timezone.now)


class ConnectorJobFactory(factory.django.DjangoModelFactory):
    """A finished import of one model (start_job makes queued ones and runs them)."""

    class Meta:
        model = ConnectorJob

    kind = ConnectorJob.Kind.IMPORT
    status = ConnectorJob.Status.SUCCEEDED
    model = factory.SubFactory(ModelFactory)
    reference = factory.LazyAttribute(
        lambda j: f"https://civitai.com/models/{j.model.external_id}" if j.model else ""
    )
    created_by = factory.SubFactory(UserFactory)
    unit = "models"
    total = 1
    done = 1
    message = "Imported 1 model."
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyAttribute(lambda j: j.started_at)
