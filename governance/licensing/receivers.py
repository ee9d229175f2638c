"""A hub re-sync (or any save) that changes a model's permission flags re-evaluates it.

The catalog's import writes only the fields that changed, so a re-import that leaves the
flags alone never gets here with a change; any other save is compared with the row as it
was before.
"""

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from governance.catalog.models import Model

from .services import FLAG_FIELDS, enqueue_reevaluation


def _touches_flags(update_fields) -> bool:
    return update_fields is None or bool(set(update_fields) & set(FLAG_FIELDS))


@receiver(pre_save, sender=Model)
def _remember_flags(sender, instance: Model, update_fields=None, **kwargs) -> None:
    if instance.pk is None or not _touches_flags(update_fields):
        instance._hubgate_flags_before = None
        return
    instance._hubgate_flags_before = (
        Model.objects.filter(pk=instance.pk).values(*FLAG_FIELDS).first()
    )


@receiver(post_save, sender=Model)
def _reevaluate_on_flag_change(sender, instance: Model, created: bool, **kwargs) -> None:
    before = getattr(instance, "_hubgate_flags_before", None)
    if created or before is None:
        return
    changed = sorted(f for f in FLAG_FIELDS if before[f] != getattr(instance, f))
    if changed:
        enqueue_reevaluation(
            scope={"model_ids": [instance.pk]},
            reason=f"permission flags of {instance.name} changed ({', '.join(changed)})",
        )
