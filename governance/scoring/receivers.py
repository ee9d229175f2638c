"""Rescore when what the scorers read changes; receivers only trigger the scoring service.

- an import or hub sync wrote models (``catalog.signals.models_written``, in the import's
  transaction: the rescore is queued for after its commit);
- a file was uploaded or got new bytes (``ingest.signals.version_files_changed``);
- a scan of a blob finished (``scanning.signals.scan_finished``): the security score reads
  the findings;
- license terms or a model's permission flags changed (``licensing.signals.terms_changed``).
"""

from django.dispatch import receiver

from governance.catalog.models import ModelFile
from governance.catalog.signals import models_written
from governance.ingest.signals import version_files_changed
from governance.licensing.selectors import versions_in_scope
from governance.licensing.signals import terms_changed
from governance.scanning.signals import scan_finished

from .services import queue_score_refresh, queue_version_rescore


@receiver(models_written, dispatch_uid="scoring:models_written")
def _models_written(sender, model_ids, **kwargs) -> None:
    queue_score_refresh(model_ids=model_ids)


@receiver(version_files_changed, dispatch_uid="scoring:version_files_changed")
def _files_changed(sender, version, **kwargs) -> None:
    queue_version_rescore(version_ids=[version.pk])


@receiver(scan_finished, dispatch_uid="scoring:scan_finished")
def _scan_finished(sender, blob, **kwargs) -> None:
    versions = ModelFile.objects.filter(blob=blob).values_list("version_id", flat=True)
    queue_version_rescore(version_ids=list(versions))


@receiver(terms_changed, dispatch_uid="scoring:terms_changed")
def _terms_changed(sender, scope, **kwargs) -> None:
    if set(scope) <= {"profile", "version_ids"} and scope.get("profile"):
        return  # a profile or a per-profile decision: not what the scorers read
    queue_version_rescore(version_ids=list(versions_in_scope(scope).values_list("pk", flat=True)))
