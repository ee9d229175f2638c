"""What the catalog announces and usage records (the catalog may not import usage)."""

from django.dispatch import receiver

from governance.catalog.signals import version_read

from .models import UsageEvent
from .services import record_usage


@receiver(version_read, dispatch_uid="usage:version_read")
def _record_api_read(sender, version, user, client: str, response, **kwargs) -> None:
    record_usage(
        kind=UsageEvent.Kind.API_READ, version=version, user=user, client=client, after=response
    )
