"""The audit log: append-only entries chained by HMAC-SHA256, and the head that seals the tail.

Each entry's ``hash`` is an HMAC, keyed with ``HUBGATE_AUDIT_KEY`` (a secret kept outside
the database), over its content and the previous entry's hash (``prev_hash``): editing a row
breaks its own hash, re-hashing it breaks the next row's link, and someone who can write to
the database but does not hold the key cannot recompute the chain after deleting or editing
an entry. Ids are given out by ``record`` without gaps, so a missing id is a deleted entry.
The single-row ``AuditHead`` (written in the same transaction as every append, with its own
HMAC) records the last entry, so deleting the newest rows is detected too. A head copied
earlier and put back after deleting newer rows is caught by the anchors: ``manage.py audit
anchor`` writes the head to an append-only place outside Hubgate, and ``audit verify
--anchor`` checks the chain against every anchor written.

Entries written before the chain was keyed are ``sha256`` (plain SHA-256, no key); they stay
verifiable, and the first keyed entry after them (``manage.py audit rekey`` appends one)
covers their last hash, so they cannot be rewritten either. A ``sha256`` entry after a
keyed one is refused by ``audit verify``: it is what recomputing without the key looks like.

Entries are written only by ``governance.audit.services.record``. The ORM refuses to update
or delete them; on PostgreSQL triggers refuse it to raw SQL as well, along with TRUNCATE and
any change to the head other than one append (migrations 0002 and 0004).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from governance.errors import Conflict

#: The ``prev_hash`` of the first entry.
GENESIS_HASH = "0" * 64

sha256_hex = RegexValidator(r"^[0-9a-f]{64}\Z", "A SHA-256 hex digest: 64 lowercase hex digits.")


class AppendOnlyViolation(Conflict):
    """Something tried to change or remove an audit entry."""

    code = "audit_append_only"
    title = "The audit log is append-only"


def canonical_json(value: Any) -> str:
    """The one JSON spelling that is hashed: sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def iso_utc(moment: datetime) -> str:
    """``moment`` as ISO-8601 in UTC with microseconds, as the chain hashes it."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class HashAlgorithm(models.TextChoices):
    """How an entry's ``hash`` is computed; the payload hashed is the same for both."""

    SHA256 = "sha256", "SHA-256, unkeyed (written before the chain was keyed)"
    HMAC_SHA256 = "hmac-sha256", "HMAC-SHA256 keyed with HUBGATE_AUDIT_KEY"


def audit_key() -> bytes:
    """The secret that keys the chain: ``settings.HUBGATE_AUDIT_KEY`` as UTF-8 bytes."""
    key = getattr(settings, "HUBGATE_AUDIT_KEY", "")
    if not key:
        raise ImproperlyConfigured("HUBGATE_AUDIT_KEY must be set to key the audit chain.")
    return key.encode()


def chain_hash(
    *,
    key: bytes | None = None,
    prev_hash: str,
    created_at: datetime,
    actor_repr: str,
    action: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    request_id: str,
) -> str:
    """The digest of an entry's content linked to its predecessor: HMAC-SHA256 with ``key``,
    or plain SHA-256 (entries written before the chain was keyed) when ``key`` is None."""
    payload = {
        "prev_hash": prev_hash,
        "created_at": iso_utc(created_at),
        "actor_repr": actor_repr,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "object_repr": object_repr,
        "before": before,
        "after": after,
        "request_id": request_id,
    }
    message = canonical_json(payload).encode()
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def head_mac(*, key: bytes, last_entry_id: int, last_hash: str, count: int) -> str:
    """The HMAC that seals the head record, so it cannot be moved without the key."""
    message = canonical_json(
        {"last_entry_id": last_entry_id, "last_hash": last_hash, "count": count}
    ).encode()
    return hmac.new(key, b"audit-head:" + message, hashlib.sha256).hexdigest()


class AuditEntryQuerySet(models.QuerySet):
    """Reads only: bulk writes that would change or remove entries raise."""

    def update(self, **kwargs: Any) -> int:
        # The one update allowed is ON DELETE SET NULL of the actor's user: the link to the
        # user goes, ``actor_repr`` (which the hash covers) stays.
        if set(kwargs) <= {"actor", "actor_id"} and all(v is None for v in kwargs.values()):
            return super().update(**kwargs)
        raise AppendOnlyViolation("Audit entries cannot be updated.")

    update.alters_data = True

    def _update(self, values: Any) -> Any:
        # Model.save() and save_base() (used by loaddata) update through here.
        raise AppendOnlyViolation("Audit entries cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyViolation("Audit entries cannot be deleted.")

    delete.alters_data = True
    delete.queryset_only = True

    def _raw_delete(self, using: str) -> int:
        raise AppendOnlyViolation("Audit entries cannot be deleted.")

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        raise AppendOnlyViolation(
            "Audit entries are appended one by one through governance.audit.services.record."
        )

    def bulk_update(self, objs: Any, *args: Any, **kwargs: Any) -> int:
        raise AppendOnlyViolation("Audit entries cannot be updated.")


class AuditEntry(models.Model):
    """One thing that happened: who did what to which object, with its state before/after."""

    created_at = models.DateTimeField(editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Cleared if the user is deleted; actor_repr keeps who it was.",
    )
    actor_repr = models.CharField(
        max_length=150, help_text='The actor\'s username, "system" or "anonymous".'
    )
    action = models.CharField(max_length=100, help_text='A dotted verb: "version.approved".')
    object_type = models.CharField(max_length=100, blank=True, help_text="app_label.model")
    object_id = models.CharField(max_length=255, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(
        max_length=64,
        unique=True,  # a linear chain: no two entries may follow the same predecessor
        validators=[sha256_hex],
    )
    hash = models.CharField(max_length=64, unique=True, validators=[sha256_hex])
    hash_algorithm = models.CharField(
        max_length=16,
        choices=HashAlgorithm.choices,
        default=HashAlgorithm.HMAC_SHA256,
        help_text="sha256: written before the chain was keyed; hmac-sha256 ever since.",
    )

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        ordering = ["id"]  # chain order
        # Django's deletion collector (ON DELETE SET NULL of the actor) and Model.save() go
        # through the base manager: make it the guarded one.
        base_manager_name = "objects"
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_entry_object_idx"),
            models.Index(fields=["action"], name="audit_entry_action_idx"),
            models.Index(fields=["created_at"], name="audit_entry_created_idx"),
        ]

    def __str__(self) -> str:
        target = f" {self.object_type}:{self.object_id}" if self.object_type else ""
        return f"#{self.pk} {self.actor_repr} {self.action}{target}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AppendOnlyViolation("Audit entries cannot be changed once written.")
        kwargs["force_insert"] = True  # never an UPDATE, even with an explicit primary key
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyViolation("Audit entries cannot be deleted.")

    @property
    def is_keyed(self) -> bool:
        return self.hash_algorithm == HashAlgorithm.HMAC_SHA256

    def compute_hash(self) -> str:
        """The hash this entry's stored content should have (keyed entries need the key)."""
        return chain_hash(
            key=audit_key() if self.is_keyed else None,
            prev_hash=self.prev_hash,
            created_at=self.created_at,
            actor_repr=self.actor_repr,
            action=self.action,
            object_type=self.object_type,
            object_id=self.object_id,
            object_repr=self.object_repr,
            before=self.before,
            after=self.after,
            request_id=self.request_id,
        )


class AuditHead(models.Model):
    """The newest entry, updated in the same transaction as each append: seals the tail."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    last_entry_id = models.BigIntegerField()
    last_hash = models.CharField(max_length=64, validators=[sha256_hex])
    count = models.PositiveBigIntegerField()
    updated_at = models.DateTimeField()
    mac = models.CharField(
        max_length=64,
        blank=True,
        help_text="HMAC of (last_entry_id, last_hash, count); blank before the chain was keyed.",
    )

    class Meta:
        verbose_name = "audit head"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="audit_head_single_row")]

    def __str__(self) -> str:
        return f"entry {self.last_entry_id} ({self.count} entries): {self.last_hash}"

    def compute_mac(self) -> str:
        """The MAC this head should carry."""
        return head_mac(
            key=audit_key(),
            last_entry_id=self.last_entry_id,
            last_hash=self.last_hash,
            count=self.count,
        )
