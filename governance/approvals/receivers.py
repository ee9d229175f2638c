"""Requests and versions move on when their files change or a scan finishes."""

from django.dispatch import receiver

from governance.ingest.signals import version_files_changed
from governance.scanning.signals import scan_finished

from . import services


@receiver(scan_finished)
def _scan_finished(sender, *, blob, **kwargs) -> None:
    blob.refresh_from_db()
    services.on_scan_finished(blob=blob)


@receiver(version_files_changed)
def _files_changed(sender, *, version, **kwargs) -> None:
    services.on_files_changed(version=version)
