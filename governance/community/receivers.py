"""Followers hear of new versions an import added (lifecycle changes reach them through
``governance.lifecycle.selectors.users_to_notify``)."""

from django.dispatch import receiver

from governance.catalog.signals import versions_added

from .services import notify_followers_of_new_versions


@receiver(versions_added, dispatch_uid="community:versions_added")
def _versions_added(sender, version_ids, **kwargs) -> None:
    notify_followers_of_new_versions(version_ids=version_ids)
