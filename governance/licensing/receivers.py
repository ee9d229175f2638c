"""A change of a model's permission flags re-evaluates its licenses.

The catalog tells which flags changed (an import, a hub sync or an admin's edit); the rule
of what to re-evaluate is ``services.enqueue_reevaluation``'s.
"""

from django.dispatch import receiver

from governance.catalog.signals import permission_flags_changed

from .services import enqueue_reevaluation


@receiver(permission_flags_changed, dispatch_uid="licensing:permission_flags_changed")
def _flags_changed(sender, model, fields, **kwargs) -> None:
    enqueue_reevaluation(
        scope={"model_ids": [model.pk]},
        reason=f"permission flags of {model.name} changed ({', '.join(fields)})",
    )
