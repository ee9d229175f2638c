"""Webhooks systems subscribe with, and the deliveries of events to them (the outbox)."""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from governance.net import validate_http_url

_WORD = r"[a-z][a-z0-9_]*"
#: A dotted lower-case event name: "version.approved", "waiver.expired".
EVENT_NAME = re.compile(rf"{_WORD}(?:\.{_WORD})+")
#: What a webhook may subscribe to: an event name, a prefix ("version.*"), or "*".
EVENT_PATTERN = re.compile(rf"\*|{_WORD}(?:\.{_WORD})*\.\*|{EVENT_NAME.pattern}")


def is_event_name(value: str) -> bool:
    return EVENT_NAME.fullmatch(value) is not None


def validate_event_patterns(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise ValidationError('A list of event names or prefixes, e.g. ["version.*"].')
    bad = [p for p in value if EVENT_PATTERN.fullmatch(p) is None]
    if bad:
        raise ValidationError(
            "Not an event name or prefix: %(bad)s (use e.g. version.approved or version.*).",
            params={"bad": ", ".join(bad)},
        )


def new_webhook_secret() -> str:
    """A fresh signing secret: 256 random bits."""
    return "whsec_" + secrets.token_urlsafe(32)


class Webhook(models.Model):
    """An endpoint that receives signed JSON for the events it subscribes to."""

    name = models.CharField(max_length=120)
    url = models.URLField(
        max_length=2000,
        validators=[validate_http_url],
        help_text="http or https; redirects are not followed.",
    )
    # Stored as given: the receiver verifies an HMAC keyed with this exact secret, so it cannot
    # be hashed. Never shown again after creation (see the admin).
    secret = models.CharField(max_length=200, default=new_webhook_secret, editable=False)
    events = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_event_patterns],
        help_text="Event names or prefixes such as version.*; empty means every event.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def subscribes_to(self, event: str) -> bool:
        """Whether ``event`` matches one of this webhook's patterns (none means all)."""
        if not self.events:
            return True
        return any(
            pattern in ("*", event) or (pattern.endswith(".*") and event.startswith(pattern[:-1]))
            for pattern in self.events
        )


class WebhookDelivery(models.Model):
    """One event for one webhook: written with the change it reports, sent after commit."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=100, db_index=True)
    #: Sent as X-Hubgate-Delivery and as the payload's "id": receivers deduplicate on it.
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    #: The status or the connection error only, never the receiver's answer: a webhook URL
    #: pointed at an internal page must not become a way to read it.
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    #: When the next attempt is due; the sweeper re-queues pending deliveries left overdue.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    #: While an attempt is in flight no other worker sends this delivery.
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    delivered_at = models.DateTimeField(null=True, blank=True)
    redelivery_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="redeliveries"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} to {self.webhook_id} ({self.status})"
