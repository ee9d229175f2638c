"""The license catalog, which license applies to what, intended uses, and legal decisions.

Terms are machine-readable: a license's ``terms`` map every right in
``governance.hookspecs.LICENSE_TERMS`` to a permission (allowed, conditional, review,
prohibited), the clause that says so and the conditions it sets. The catalog ships as data
(``fixtures/license_catalog.json``, loaded by a migration) and changes only through
``governance.licensing.services``: every change bumps the license's version, keeps a
revision, is audited and re-evaluates the requests it affects.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from governance.net import validate_http_url

#: License keys read like SPDX ids in lower case, so "apache-2.0" keeps its dot.
LICENSE_KEY = RegexValidator(
    r"^[a-z0-9][a-z0-9.+-]*$", 'Lower case letters, digits, ".", "-" and "+" only.'
)


class License(models.Model):
    """One license, with its current machine-readable terms."""

    key = models.CharField(
        max_length=80,
        unique=True,
        validators=[LICENSE_KEY],
        help_text='Hubgate\'s stable key: lower case, digits, "." "-" "+" (like "apache-2.0").',
    )
    name = models.CharField(max_length=200)
    spdx_id = models.CharField(
        "SPDX id", max_length=80, blank=True, help_text="Empty when SPDX lists no identifier."
    )
    url = models.URLField(
        max_length=500,
        blank=True,
        validators=[validate_http_url],
        help_text="Where the license text is.",
    )
    summary = models.TextField(blank=True)
    grant_clause = models.CharField(
        max_length=200, blank=True, help_text="The clause that grants the right to use."
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    terms = models.JSONField(
        default=dict, help_text="term → {permission, clause, note, conditions}."
    )
    use_restrictions = models.JSONField(
        default=list, blank=True, help_text="[{text, clause}]: use-based restrictions."
    )
    revenue_limit_usd = models.BigIntegerField(
        null=True, blank=True, help_text="Commercial rights end at this annual revenue."
    )
    revenue_clause = models.CharField(max_length=200, blank=True)
    excluded_territories = models.JSONField(
        default=list, blank=True, help_text='Where the license does not apply ("EU", "GB", …).'
    )
    territory_clause = models.CharField(max_length=200, blank=True)
    notice = models.TextField(
        blank=True, help_text="Attribution or notice text to reproduce (NOTICE file)."
    )
    sources = models.TextField(blank=True, help_text="Where these terms were read, and when.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def expression(self) -> str:
        """The SPDX license expression: the SPDX id, or a ``LicenseRef-`` for the rest."""
        from .terms import expression

        return expression(self.key, self.spdx_id)


class LicenseRevision(models.Model):
    """A license's terms as they were at one version; the first is the shipped version."""

    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField(help_text="Every term field at this version.")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["license_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["license", "version"], name="unique_license_version")
        ]

    def __str__(self) -> str:
        return f"{self.license} v{self.version}"


class BaseModelLicense(models.Model):
    """The license of a base model family, by the hub's base-model label ("SDXL 1.0")."""

    base_model = models.CharField(max_length=64, unique=True)
    license = models.ForeignKey(
        License,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="base_models",
        help_text="Empty: no single license is known, every version on it needs legal review.",
    )
    note = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["base_model"]

    def __str__(self) -> str:
        return f"{self.base_model} → {self.license or 'unknown'}"


class DeclaredLicense(models.Model):
    """The license a model's publisher declares for it (Hugging Face, a model card)."""

    model = models.OneToOneField(
        "catalog.Model", on_delete=models.CASCADE, related_name="declared_license"
    )
    license = models.ForeignKey(License, on_delete=models.PROTECT, related_name="declared_by")
    source = models.CharField(
        max_length=500, blank=True, help_text="Where it is declared (model card URL, …)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.model} under {self.license}"


class IntendedUse(models.Model):
    """An intended-use profile: what a team (or anyone, company-wide) wants to do."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="intended_uses",
        help_text="Empty: a company-wide profile.",
    )
    needs = models.JSONField(
        default=list, blank=True, help_text="The rights this use depends on (license terms)."
    )
    accepts_use_restrictions = models.BooleanField(
        default=True,
        help_text="The team commits to use-based restrictions (OpenRAIL Attachment A, AUPs) "
        "and passes them on to its users.",
    )
    territories = models.JSONField(
        default=list, blank=True, help_text='Where the use happens: "US", "EU", "JP" …'
    )
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LicenseDecision(models.Model):
    """A legal reviewer's justified, expiring decision on a version that needs review.

    It settles a "needs review" verdict for one version and one intended use, for as long
    as the terms and profile it was made on stay the same (``basis``) and it has not expired
    or been revoked. A non-compliant verdict can never be decided away.
    """

    class Outcome(models.TextChoices):
        COMPLIANT = "compliant", "Compliant"
        NON_COMPLIANT = "non_compliant", "Not compliant"

    version = models.ForeignKey(
        "catalog.ModelVersion", on_delete=models.CASCADE, related_name="license_decisions"
    )
    intended_use = models.ForeignKey(
        IntendedUse, on_delete=models.CASCADE, related_name="decisions"
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    justification = models.TextField()
    basis = models.CharField(
        max_length=64, help_text="Fingerprint of the terms and profile the decision was made on."
    )
    reasons = models.JSONField(default=list, help_text="The reasons that needed review.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="license_decisions"
    )
    role = models.ForeignKey("accounts.ReviewerRole", on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    expiry_processed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [
            models.Index(
                fields=["version", "intended_use"],
                condition=Q(revoked_at__isnull=True),
                name="live_license_decisions",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.version} for {self.intended_use}"
