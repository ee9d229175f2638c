"""Scans of stored blobs and what the scanner plugins found."""

from __future__ import annotations

from django.db import models

from governance.hookspecs import Severity


class Verdict(models.TextChoices):
    """What a scan means for serving the file."""

    PENDING = "pending", "Pending"  # not scanned yet, or the scan is still running
    CLEAN = "clean", "Clean"  # nothing above low
    FLAGGED = "flagged", "Flagged"  # medium or high findings: a reviewer must decide
    QUARANTINED = "quarantined", "Quarantined"  # a critical finding: never served
    ERROR = "error", "Error"  # a scanner failed or timed out: fails closed, never served


#: Verdicts under which a file may ever leave Hubgate.
SERVABLE_VERDICTS = frozenset({Verdict.CLEAN, Verdict.FLAGGED})


class HubScanResult(models.TextChoices):
    """CivitAI's per-file scan summary values."""

    PENDING = "Pending"
    SUCCESS = "Success"
    DANGER = "Danger"
    ERROR = "Error"


class FileScan(models.Model):
    """One run of every enabled scanner over one blob."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    blob = models.ForeignKey("ingest.Blob", on_delete=models.CASCADE, related_name="scans")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    verdict = models.CharField(max_length=16, choices=Verdict.choices, default=Verdict.PENDING)
    #: The scanner plugins and their versions, so an upgrade can find what to re-scan.
    scanner_set = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    plugin_results = models.JSONField(default=dict, blank=True)
    pickle_scan_result = models.CharField(
        max_length=16, choices=HubScanResult.choices, default=HubScanResult.PENDING
    )
    pickle_scan_message = models.TextField(blank=True)
    virus_scan_result = models.CharField(
        max_length=16, choices=HubScanResult.choices, default=HubScanResult.PENDING
    )
    virus_scan_message = models.TextField(blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [models.Index(fields=["status", "started_at"])]

    def __str__(self) -> str:
        return f"scan {self.pk} of {self.blob_id}: {self.status}/{self.verdict}"


class Finding(models.Model):
    """One thing one scanner found in one blob."""

    scan = models.ForeignKey(FileScan, on_delete=models.CASCADE, related_name="findings")
    scanner = models.CharField(max_length=100)
    code = models.CharField(max_length=100)
    severity = models.CharField(max_length=16, choices=[(s.value, s.value) for s in Severity])
    severity_rank = models.PositiveSmallIntegerField(db_index=True)
    member = models.CharField(max_length=1000, blank=True)
    message = models.TextField()
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-severity_rank", "scanner", "code", "id"]

    def __str__(self) -> str:
        return f"[{self.severity}] {self.code}: {self.message}"
