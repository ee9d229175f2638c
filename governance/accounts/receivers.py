"""A changed API key or user drops the key's cached row (revocation takes effect at once)."""

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import ApiKey
from .services import forget_api_key


@receiver(post_save, sender=ApiKey, dispatch_uid="accounts:forget_key_on_save")
@receiver(post_delete, sender=ApiKey, dispatch_uid="accounts:forget_key_on_delete")
def _key_changed(sender, instance: ApiKey, **kwargs) -> None:
    forget_api_key(instance.prefix)


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts:forget_keys_of_user")
def _user_changed(sender, instance, created: bool, **kwargs) -> None:
    if not created:  # deactivated, made staff or not: its keys' cached rows carry the old user
        for prefix in ApiKey.objects.filter(user=instance).values_list("prefix", flat=True):
            forget_api_key(prefix)
