"""People and the teams they work in: the unit that owns and uses models."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.db import models

from governance.api.scopes import Scope


class User(AbstractUser):
    """A person signed in to Hubgate, or a service account a program acts as."""

    is_service_account = models.BooleanField(
        default=False, help_text="A program, not a person: it signs in only with API keys."
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"


class Team(models.Model):
    """A group of people that owns models and requests models for its own use.

    Each team has a Django auth group mirroring its members: object permissions (who may
    see a private model, use an approved one) are granted to that group.
    """

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams"
    )
    group = models.OneToOneField(
        Group, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="team"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person's place in a team, with the role that later decides what they may do there."""

    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        LEAD = "lead", "Team lead"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)
    idp_managed = models.BooleanField(
        default=False,
        editable=False,
        help_text="Granted from an IdP group at sign-in; the next sign-in may take it away.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="unique_membership"),
        ]
        ordering = ["team__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.get_role_display()})"


class ReviewerRole(models.Model):
    """A role that approval policies require: security, legal, team lead …"""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    team_scoped = models.BooleanField(
        default=False,
        help_text="Held by the requesting team's leads (e.g. team lead) instead of by assignment.",
    )
    can_waive = models.BooleanField(
        default=False, help_text="Holders may waive a non-critical finding for one version."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RoleAssignment(models.Model):
    """A person holding a company-wide reviewer role."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.ForeignKey(ReviewerRole, on_delete=models.CASCADE, related_name="assignments")
    assigned_at = models.DateTimeField(auto_now_add=True)
    idp_managed = models.BooleanField(
        default=False,
        editable=False,
        help_text="Granted from an IdP group at sign-in; the next sign-in may take it away.",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="unique_role_holder")]

    def __str__(self) -> str:
        return f"{self.user} as {self.role}"


class IdpGroupMapping(models.Model):
    """One group the company IdP puts in its groups claim, and what it grants in Hubgate.

    Applied at every sign-in through the IdP: what the user's groups map to is granted, what
    an earlier sign-in granted and no group maps to any more is taken away. Memberships and
    roles an administrator granted by hand are never touched.
    """

    group = models.CharField(
        max_length=255, help_text="The group name exactly as the IdP sends it (case matters)."
    )
    provider = models.CharField(
        max_length=200,
        blank=True,
        help_text="Only for sign-ins through this provider id (blank: any provider).",
    )
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="idp_mappings"
    )
    team_role = models.CharField(
        max_length=20, choices=Membership.Role.choices, default=Membership.Role.MEMBER
    )
    reviewer_role = models.ForeignKey(
        ReviewerRole, on_delete=models.CASCADE, null=True, blank=True, related_name="idp_mappings"
    )

    class Meta:
        ordering = ["group", "provider"]
        verbose_name = "IdP group mapping"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(team__isnull=False) | models.Q(reviewer_role__isnull=False),
                name="idp_mapping_grants_something",
            ),
            models.UniqueConstraint(
                fields=["group", "provider", "team"], name="unique_idp_group_team"
            ),
        ]

    def __str__(self) -> str:
        grants = [
            f"{self.team} ({self.get_team_role_display()})" if self.team_id else "",
            f"{self.reviewer_role}" if self.reviewer_role_id else "",
        ]
        return f"{self.group} → {', '.join(g for g in grants if g)}"


class ApiKey(models.Model):
    """A secret that lets a program act as a user (a person or a service account).

    Only a SHA-256 of the secret is stored: the key is shown once, when created. Keys are
    high-entropy random strings, so a fast hash is enough (no password stretching needed).
    """

    Scope = Scope

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, help_text="Public part of the key.")
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # The key that created this one (None: made in a session or the admin). A child never
    # outlives its parent and is revoked with it (accounts.services). SET_NULL, not CASCADE:
    # deleting a person must not silently delete service-account keys their key made; the
    # audit entry of the creation keeps the lineage.
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        help_text="The API key this key was created with.",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} (hg_{self.prefix}_…)"
