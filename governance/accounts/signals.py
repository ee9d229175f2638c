"""Keep each team's auth group equal to its members (object permissions are granted to it),
and audit every change of membership: it changes what people may see and use."""

from allauth.account.signals import user_logged_in as allauth_user_logged_in
from allauth.account.signals import user_signed_up
from django.contrib.auth.models import Group
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from governance.audit.services import record

from .models import Membership, Team


@receiver(post_save, sender=Team)
def _team_group(sender, instance: Team, created: bool, **kwargs) -> None:
    if instance.group_id is None:
        group, _ = Group.objects.get_or_create(name=f"team:{instance.slug}")
        Team.objects.filter(pk=instance.pk).update(group=group)
        instance.group = group


@receiver(post_save, sender=Membership)
def _join_group(sender, instance: Membership, created: bool, **kwargs) -> None:
    instance.user.groups.add(instance.team.group)
    record(
        action="team.member_added" if created else "team.member_changed",
        obj=instance.team,
        after={"user": instance.user.username, "role": instance.role},
    )


@receiver(post_delete, sender=Membership)
def _leave_group(sender, instance: Membership, **kwargs) -> None:
    if instance.team.group_id:
        instance.user.groups.remove(instance.team.group_id)
    record(
        action="team.member_removed",
        obj=instance.team,
        before={"user": instance.user.username, "role": instance.role},
    )


@receiver(allauth_user_logged_in)
def _apply_idp_groups(sender, request, user, sociallogin=None, **kwargs) -> None:
    """Every sign-in through the IdP re-applies the user's groups (local sign-ins do not)."""
    if sociallogin is not None:
        from .sso import apply_sociallogin

        apply_sociallogin(request=request, user=user, sociallogin=sociallogin)


@receiver(user_signed_up)
def _provisioned(sender, request, user, sociallogin=None, **kwargs) -> None:
    """A person's account created at their first IdP sign-in: who vouched for them."""
    if sociallogin is not None:
        record(
            action="user.provisioned",
            obj=user,
            actor=user,
            after={
                "provider": sociallogin.account.provider,
                "uid": sociallogin.account.uid,
                "username": user.username,
                "email": user.email,
            },
        )
