"""The owning team may always see its model: granted as a guardian object permission."""

from django.db.models.signals import post_save
from django.dispatch import receiver
from guardian.shortcuts import assign_perm

from .models import Model


@receiver(post_save, sender=Model)
def _owning_team_sees_its_model(sender, instance: Model, **kwargs) -> None:
    team = instance.owning_team
    if team is not None and team.group_id is not None:
        assign_perm("catalog.view_model", team.group, instance)
