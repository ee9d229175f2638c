"""Stored bytes: content-addressed blobs and resumable upload sessions."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from governance.hookspecs import FileFormat


class Blob(models.Model):
    """One stored file content, named by its SHA256: the same bytes are stored once."""

    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField()
    autov1 = models.CharField(max_length=8)
    autov3 = models.CharField(max_length=12, blank=True)
    crc32 = models.CharField(max_length=8)
    blake3 = models.CharField(max_length=64, db_index=True)
    format = models.CharField(
        max_length=32, choices=[(f.value, f.value) for f in FileFormat], default=FileFormat.UNKNOWN
    )
    storage_name = models.CharField(max_length=255, unique=True)
    current_scan = models.ForeignKey(
        "scanning.FileScan", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.sha256[:12]}… ({self.size} bytes)"

    @property
    def autov2(self) -> str:
        return self.sha256[:10]


class UploadSession(models.Model):
    """A resumable upload: chunks are appended at ``offset`` until ``size`` bytes arrived."""

    class Status(models.TextChoices):
        OPEN = "open"
        COMPLETING = "completing"
        COMPLETE = "complete"
        FAILED = "failed"
        ABORTED = "aborted"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="upload_sessions"
    )
    filename = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(help_text="Total bytes the client will send.")
    offset = models.PositiveBigIntegerField(default=0)
    expected_hashes = models.JSONField(default=dict, blank=True)
    declared_format = models.CharField(max_length=32, blank=True)
    version = models.ForeignKey(
        "catalog.ModelVersion",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="upload_sessions",
        help_text="Attach the file to this version when the upload completes.",
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="upload_sessions",
        help_text="The team whose upload quota this upload counts against (the version's owner).",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    error = models.TextField(blank=True)
    blob = models.ForeignKey(Blob, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(offset__lte=models.F("size")), name="upload_offset_within_size"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.offset}/{self.size})"
