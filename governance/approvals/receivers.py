"""Requests and versions move on when their files change, a scan finishes or license
terms change."""

from django.dispatch import receiver

from governance.ingest.signals import version_files_changed
from governance.licensing.signals import terms_changed
from governance.scanning.signals import scan_finished

from . import services
from .tasks import reevaluate_licenses_task


@receiver(scan_finished)
def _scan_finished(sender, *, blob, **kwargs) -> None:
    blob.refresh_from_db()
    services.on_scan_finished(blob=blob)


@receiver(version_files_changed)
def _files_changed(sender, *, version, **kwargs) -> None:
    services.on_files_changed(version=version)


@receiver(terms_changed, dispatch_uid="approvals:terms_changed")
def _terms_changed(sender, *, scope, reason, at=None, **kwargs) -> None:
    reevaluate_licenses_task.delay(dict(scope), reason, at)
