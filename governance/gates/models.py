"""Gate runs: what the gates said about a version at one moment."""

from django.db import models


class GateRun(models.Model):
    """One evaluation of every gate for a version (and the request that asked, if any)."""

    class Outcome(models.TextChoices):
        PENDING = "pending"  # something still running (a scan)
        PASSED = "passed"  # every gate passed or was waived
        FAILED = "failed"  # a finding, scan error or license verdict blocks approval
        QUARANTINED = "quarantined"  # a file is quarantined: the version can never be approved

    version = models.ForeignKey(
        "catalog.ModelVersion", on_delete=models.CASCADE, related_name="gate_runs"
    )
    request = models.ForeignKey(
        "approvals.ModelRequest",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="gate_runs",
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    items = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"gates of {self.version_id}: {self.outcome}"


class VerdictGeneration(models.Model):
    """A counter per version, bumped whenever an input of its gate verdict changes.

    A stored ``GateVerdict`` is valid only while it carries the current generation of its
    version and the global one (the row with ``version_id`` 0, bumped by changes that touch
    many versions: license catalog, intended-use profiles). The counter is read before the
    inputs, so a verdict computed from inputs that changed meanwhile is never trusted.
    """

    #: The version's id; 0 is the global counter. No foreign key: a deleted version's
    #: counter is harmless and its verdicts go with it.
    version_id = models.BigIntegerField(primary_key=True)
    value = models.PositiveBigIntegerField(default=1)

    def __str__(self) -> str:
        return f"generation {self.value} of {self.version_id or 'every version'}"


class GateVerdict(models.Model):
    """The CI gate check's precomputed answer for one version and intended-use profile.

    Everything about the version that does not depend on who asks: its state and
    deprecation, every gate's reasons for the profile, the teams whose approved requests
    cover the profile and the groups and users that may use it. The check adds the caller's
    teams in memory. Kept current by ``governance.ci.verdicts`` (receivers bump the
    generation, a task recomputes); ``valid_until`` is the first waiver or license decision
    expiry, after which it is computed again.
    """

    version = models.ForeignKey(
        "catalog.ModelVersion", on_delete=models.CASCADE, related_name="gate_verdicts"
    )
    profile = models.CharField(max_length=100)
    state = models.CharField(max_length=16)
    data = models.JSONField(help_text="The snapshot: reasons, approvals, who may use it.")
    generation = models.PositiveBigIntegerField()
    global_generation = models.PositiveBigIntegerField()
    plugins = models.CharField(max_length=64, help_text="Fingerprint of the evaluators used.")
    valid_until = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "profile"], name="unique_gate_verdict")
        ]

    def __str__(self) -> str:
        return f"verdict of {self.version_id} for {self.profile}"
