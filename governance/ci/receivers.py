"""Every change of an input of a precomputed gate verdict makes the verdict stale.

Inputs saved through the ORM are caught by their save and delete signals (so a service or
admin action that forgets cannot leave a stale verdict behind); scans, which write with
bulk updates, by ``scan_finished``. A change of a license's terms, of a profile or of a
team touches many versions and bumps the global generation instead (computed again when
next asked for).
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from governance.accounts import permissions
from governance.accounts.models import Team
from governance.approvals.models import ModelRequest, Waiver
from governance.catalog.models import Creator, Model, ModelFile, ModelVersion
from governance.ingest.signals import version_files_changed
from governance.licensing.models import (
    BaseModelLicense,
    DeclaredLicense,
    IntendedUse,
    License,
    LicenseDecision,
)
from governance.lifecycle.models import Deprecation
from governance.scanning.signals import scan_finished

from .verdicts import invalidate_verdicts

#: Rows with a ``version`` foreign key whose change changes that version's verdict.
PER_VERSION = (ModelVersion, Deprecation, ModelFile, ModelRequest, Waiver, LicenseDecision)
#: Rows whose change may change any version's verdict (rare: administrators' edits).
GLOBAL_INPUTS = (Team, License, IntendedUse)


def _version_changed(sender, instance, created: bool = False, **kwargs) -> None:
    if sender is ModelVersion and created:
        return  # nothing can be stored for a version that did not exist
    invalidate_verdicts([instance.pk if sender is ModelVersion else instance.version_id])


def _versions_where(**lookup) -> None:
    invalidate_verdicts(ModelVersion.objects.filter(**lookup).values_list("pk", flat=True))


def _model_changed(sender, instance: Model, created: bool = False, **kwargs) -> None:
    # Its name is in the reasons, its permission flags decide the license.
    if not created:
        _versions_where(model_id=instance.pk)


def _creator_changed(sender, instance: Creator, created: bool = False, **kwargs) -> None:
    if not created:  # the license gate reads the creator with the model's flags
        _versions_where(model__creator_id=instance.pk)


def _declared_license_changed(sender, instance: DeclaredLicense, **kwargs) -> None:
    _versions_where(model_id=instance.model_id)


def _base_model_license_changed(sender, instance: BaseModelLicense, **kwargs) -> None:
    _versions_where(base_model=instance.base_model)


def _global_change(sender, instance, **kwargs) -> None:
    invalidate_verdicts(None)


@receiver(permissions.object_permission_changed, dispatch_uid="gates:object_permission")
def _permission_changed(sender, model, codename: str, object_pk: str, **kwargs) -> None:
    if model is ModelVersion and f"catalog.{codename}" == permissions.USE_VERSION:
        invalidate_verdicts([object_pk])


for _signal in (post_save, post_delete):
    for _sender in PER_VERSION:
        _signal.connect(_version_changed, sender=_sender, dispatch_uid=f"gates:{_sender.__name__}")
    for _sender in GLOBAL_INPUTS:
        _signal.connect(_global_change, sender=_sender, dispatch_uid=f"gates:{_sender.__name__}")
    _signal.connect(_model_changed, sender=Model, dispatch_uid="gates:Model")
    _signal.connect(_creator_changed, sender=Creator, dispatch_uid="gates:Creator")
    _signal.connect(
        _declared_license_changed, sender=DeclaredLicense, dispatch_uid="gates:DeclaredLicense"
    )
    _signal.connect(
        _base_model_license_changed, sender=BaseModelLicense, dispatch_uid="gates:BaseModelLicense"
    )


@receiver(scan_finished, dispatch_uid="gates:scan_finished")
def _scan_finished(sender, blob, **kwargs) -> None:
    invalidate_verdicts(ModelFile.objects.filter(blob=blob).values_list("version_id", flat=True))


@receiver(version_files_changed, dispatch_uid="gates:version_files_changed")
def _files_changed(sender, version, **kwargs) -> None:
    invalidate_verdicts([version.pk])
