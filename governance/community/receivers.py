"""Followers hear of a new version of a model they follow (lifecycle changes reach them
through ``governance.usage.selectors.users_to_notify``, which lifecycle calls)."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from governance.catalog.models import ModelVersion


@receiver(post_save, sender=ModelVersion, dispatch_uid="community.new_version_to_followers")
def _new_version(sender, instance: ModelVersion, created: bool, raw: bool = False, **kwargs):
    if not created or raw:
        return
    from .services import notify_followers_of_new_version

    version_id = instance.pk
    transaction.on_commit(lambda: notify_followers_of_new_version(version_id=version_id))
