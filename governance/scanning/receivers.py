"""New bytes are scanned: ingest, below this app, announces them with ``blob_stored``."""

from django.dispatch import receiver

from governance.ingest.signals import blob_stored

from .services import queue_scan


@receiver(blob_stored, dispatch_uid="scanning:scan_stored_blob")
def _scan_stored_blob(sender, blob, **kwargs) -> None:
    queue_scan(blob=blob)
