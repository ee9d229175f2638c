"""What happened with which version: downloads, deployments, API reads, portal views."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from governance.net import validate_url_values


class UsageEvent(models.Model):
    """One use of a version (or file) by a person or program, kept separate from hub stats."""

    class Kind(models.TextChoices):
        DOWNLOAD = "download"
        DEPLOYMENT = "deployment"
        API_READ = "api_read"
        PORTAL_VIEW = "portal_view"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.ForeignKey(
        "catalog.ModelVersion", on_delete=models.CASCADE, related_name="usage_events"
    )
    file = models.ForeignKey(
        "catalog.ModelFile", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    #: Which client: "portal", "api", "civitai-api", "ci", or a user agent.
    client = models.CharField(max_length=100, blank=True)
    #: Free-form facts: a CI job's repository, commit and pipeline URL, a Range, …
    metadata = models.JSONField(default=dict, blank=True, validators=[validate_url_values])
    #: When it happened; set by the caller when the event is written later (queued).
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["version", "created_at"]),
            models.Index(fields=["team", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.version_id} by {self.user_id}"

    def save(self, *args, **kwargs) -> None:
        # Every writer (the CI check, queued events) goes through here; a javascript: or
        # data: "pipeline URL" would otherwise be rendered as a link to admins and leads.
        validate_url_values(self.metadata)
        super().save(*args, **kwargs)


class DailyUsage(models.Model):
    """Events of one kind, one day, one version and one team (``None``: no team), counted.

    Model, base model and type are copied from the version so a dashboard sums per model,
    per team or per base model with one indexed query. Rebuilt idempotently per day by
    Celery beat (``aggregate_daily_usage``); hub statistics are never mixed in.
    """

    day = models.DateField()
    kind = models.CharField(max_length=16, choices=UsageEvent.Kind.choices)
    version = models.ForeignKey(
        "catalog.ModelVersion", on_delete=models.CASCADE, related_name="daily_usage"
    )
    model = models.ForeignKey("catalog.Model", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    base_model = models.CharField(max_length=64)
    model_type = models.CharField(max_length=32)
    count = models.PositiveIntegerField()
    #: Distinct signed-in people behind ``count``.
    users = models.PositiveIntegerField()

    class Meta:
        ordering = ["-day", "version_id", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "kind", "version", "team"], name="one_daily_usage_row"
            ),
        ]
        indexes = [
            models.Index(fields=["model", "day"]),
            models.Index(fields=["team", "day"]),
            models.Index(fields=["day", "kind"]),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} v{self.version_id} t{self.team_id}: {self.count}"
