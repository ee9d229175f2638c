"""Questions about connector jobs and the hub connection."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from .models import ConnectorJob


def jobs_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[ConnectorJob]:
    """Staff see every job; others the jobs they started."""
    if not user.is_authenticated:
        return ConnectorJob.objects.none()
    jobs = ConnectorJob.objects.select_related("created_by", "owning_team", "model")
    return jobs if user.is_staff else jobs.filter(created_by=user)
