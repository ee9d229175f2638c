"""Gate runs: what the gates said about a version at one moment."""

from django.db import models


class GateRun(models.Model):
    """One evaluation of every gate for a version (and the request that asked, if any)."""

    class Outcome(models.TextChoices):
        PENDING = "pending"  # something still running (a scan)
        PASSED = "passed"  # every gate passed or was waived
        FAILED = "failed"  # a finding, scan error or license verdict blocks approval
        QUARANTINED = "quarantined"  # a file is quarantined: the version can never be approved

    version = models.ForeignKey("catalog.ModelVersion", on_delete=models.CASCADE,
                                related_name="gate_runs")  # fmt: skip
    request = models.ForeignKey(
        "approvals.ModelRequest", on_delete=models.CASCADE, null=True, blank=True,
        related_name="gate_runs",
    )  # fmt: skip
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    items = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"gates of {self.version_id}: {self.outcome}"
