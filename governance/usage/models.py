"""What happened with which version: downloads, deployments, API reads, portal views."""

from django.conf import settings
from django.db import models


class UsageEvent(models.Model):
    """One use of a version (or file) by a person or program, kept separate from hub stats."""

    class Kind(models.TextChoices):
        DOWNLOAD = "download"
        DEPLOYMENT = "deployment"
        API_READ = "api_read"
        PORTAL_VIEW = "portal_view"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+")  # fmt: skip
    team = models.ForeignKey("accounts.Team", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")  # fmt: skip
    version = models.ForeignKey("catalog.ModelVersion", on_delete=models.CASCADE,
                                related_name="usage_events")  # fmt: skip
    file = models.ForeignKey("catalog.ModelFile", on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+")  # fmt: skip
    #: Which client: "portal", "api", "civitai-api", "ci", or a user agent.
    client = models.CharField(max_length=100, blank=True)
    #: Free-form facts: a CI job's repository, commit and pipeline URL, a Range, …
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["version", "created_at"]),
                   models.Index(fields=["team", "created_at"])]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.kind} of {self.version_id} by {self.user_id}"
