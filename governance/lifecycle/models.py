"""Lifecycle records beside the version's state: why and until when a version is deprecated."""

from django.conf import settings
from django.db import models


class Deprecation(models.Model):
    """A deprecated version's reason, successor and sunset (retired automatically after it)."""

    version = models.OneToOneField(
        "catalog.ModelVersion", on_delete=models.CASCADE, related_name="deprecation"
    )
    reason = models.TextField()
    successor = models.ForeignKey(
        "catalog.ModelVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sunset_at = models.DateTimeField(null=True, blank=True)
    deprecated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    deprecated_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.version} deprecated: {self.reason[:40]}"
