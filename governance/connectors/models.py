"""What the connector remembers: the hub's health, the models it keeps in sync, its jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from governance.catalog.models import Hub


class HubConnection(models.Model):
    """The health of one hub connection, as the last calls and checks found it."""

    class Status(models.TextChoices):
        UNKNOWN = "unknown", "Not checked yet"
        OK = "ok", "OK"
        DEGRADED = "degraded", "Degraded (errors, rate limits)"
        DOWN = "down", "Down"

    hub = models.CharField(max_length=20, choices=Hub.choices, unique=True)
    base_url = models.URLField(max_length=500)
    api_key_configured = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UNKNOWN)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    detail = models.TextField(blank=True, help_text="The last check's or failure's message.")
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    rate_limited_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["hub"]
        verbose_name = "hub connection"

    def __str__(self) -> str:
        return f"{self.get_hub_display()} ({self.get_status_display()})"


class TrackedModel(models.Model):
    """A hub model the periodic sync keeps up to date in the catalog."""

    hub = models.CharField(max_length=20, choices=Hub.choices, default=Hub.CIVITAI)
    external_id = models.CharField(max_length=64)
    model = models.OneToOneField("catalog.Model", on_delete=models.CASCADE, related_name="tracking")
    active = models.BooleanField(default=True, help_text="Re-synced by the periodic job.")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    #: The hub's mode at the last sync ("" / Archived / TakenDown).
    hub_mode = models.CharField(max_length=16, blank=True)
    removed_from_hub = models.BooleanField(default=False)
    flagged_at = models.DateTimeField(
        null=True, blank=True, help_text="When a takedown or removal was flagged to admins."
    )
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["hub", "external_id"], name="unique_tracked_source")
        ]

    def __str__(self) -> str:
        return f"{self.get_hub_display()} model {self.external_id}"


class ConnectorJob(models.Model):
    """One import, sync or download, with its progress for the admin and the API."""

    class Kind(models.TextChoices):
        IMPORT = "import", "Import one model"
        LISTING = "listing", "Import a listing"
        SYNC = "sync", "Sync tracked models"
        DOWNLOAD = "download", "Download files"

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        PARTIAL = "partial", "Finished with errors"
        FAILED = "failed"

    hub = models.CharField(max_length=20, choices=Hub.choices, default=Hub.CIVITAI)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    reference = models.CharField(max_length=2000, blank=True, help_text="id, URL, AIR or hash")
    options = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="connector_jobs",
    )
    owning_team = models.ForeignKey(
        "accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    model = models.ForeignKey(
        "catalog.Model", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    #: Progress: ``done`` of ``total`` ``unit`` (models, files or bytes); total 0 = unknown.
    unit = models.CharField(max_length=16, default="models")
    total = models.PositiveBigIntegerField(default=0)
    done = models.PositiveBigIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    errors = models.JSONField(default=list, blank=True, help_text="[{item, error}], at most 100")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        what = f" {self.reference}" if self.reference else ""
        return f"{self.get_kind_display()}{what} ({self.status})"

    @property
    def percent(self) -> float | None:
        if not self.total:
            return None
        return round(min(self.done, self.total) * 100.0 / self.total, 1)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.PARTIAL, self.Status.FAILED)
