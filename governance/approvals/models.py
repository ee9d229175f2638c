"""Requests for a model, the policies that decide them, reviews and waivers."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ApprovalPolicy(models.Model):
    """Who must approve a request, matched by model type, base model, risk or team.

    The active policy with the lowest ``priority`` whose every non-empty matcher matches the
    request applies. Each required role must be filled by a different person (separation of
    duties), the requester never counts, and at least ``quorum`` approvals are needed.
    """

    class Risk(models.TextChoices):
        ANY = "any", "Any risk"
        LOW = "low", "Only clean versions"
        ELEVATED = "elevated", "Versions with open or waived findings"

    name = models.CharField(max_length=120, unique=True)
    priority = models.PositiveIntegerField(default=100, help_text="Lower wins.")
    active = models.BooleanField(default=True)
    model_types = models.JSONField(default=list, blank=True, help_text="Empty: any type.")
    base_models = models.JSONField(default=list, blank=True, help_text="Empty: any base model.")
    risk = models.CharField(max_length=16, choices=Risk.choices, default=Risk.ANY)
    teams = models.ManyToManyField("accounts.Team", blank=True, help_text="Empty: any team.")
    required_roles = models.ManyToManyField("accounts.ReviewerRole", related_name="policies")
    quorum = models.PositiveIntegerField(
        default=1, help_text="Approvals needed in total (at least one per required role)."
    )

    class Meta:
        ordering = ["priority", "name"]
        verbose_name_plural = "approval policies"

    def __str__(self) -> str:
        return self.name


class ModelRequest(models.Model):
    """A team member asking that their team may use a version, for an intended use."""

    class State(models.TextChoices):
        GATING = "gating", "Gating"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    version = models.ForeignKey(
        "catalog.ModelVersion", on_delete=models.CASCADE, related_name="requests"
    )
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="requests")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="model_requests"
    )
    intended_use = models.CharField(max_length=100, help_text="The intended-use profile's slug.")
    justification = models.TextField(blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.GATING)
    policy = models.ForeignKey(ApprovalPolicy, on_delete=models.PROTECT, null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "team", "intended_use"],
                condition=models.Q(state__in=["gating", "in_review"]),
                name="one_open_request_per_version_team_use",
            )
        ]

    def __str__(self) -> str:
        return f"{self.team} requests {self.version} for {self.intended_use}"


class Review(models.Model):
    """One reviewer's decision on a request, in one required role."""

    class Decision(models.TextChoices):
        APPROVE = "approve", "Approve"
        REJECT = "reject", "Reject"

    request = models.ForeignKey(ModelRequest, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews"
    )
    role = models.ForeignKey("accounts.ReviewerRole", on_delete=models.PROTECT)
    decision = models.CharField(max_length=8, choices=Decision.choices)
    comment = models.TextField(blank=True)
    #: The version's file hashes when the review was given: a file change voids the review.
    files_fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "reviewer"], name="one_review_per_person"),
            models.UniqueConstraint(
                fields=["request", "role", "reviewer"], name="unique_role_review"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} ({self.role}) {self.decision}s {self.request_id}"


class Waiver(models.Model):
    """A justified, expiring exception for one non-critical finding on one version."""

    version = models.ForeignKey(
        "catalog.ModelVersion", on_delete=models.CASCADE, related_name="waivers"
    )
    #: The finding's identity: the same finding found again by a re-scan stays waived.
    blob_sha256 = models.CharField(max_length=64)
    scanner = models.CharField(max_length=100)
    code = models.CharField(max_length=100)
    member = models.CharField(max_length=1000, blank=True)
    justification = models.TextField()
    scope = models.CharField(max_length=200, help_text="Where the exception holds, in words.")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="waivers_granted"
    )
    role = models.ForeignKey("accounts.ReviewerRole", on_delete=models.PROTECT)
    granted_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    expiry_processed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-granted_at"]

    def __str__(self) -> str:
        return f"waiver of {self.code} on {self.version_id} until {self.expires_at:%Y-%m-%d}"
