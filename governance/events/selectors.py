"""Questions about webhooks and deliveries."""

from __future__ import annotations

from .models import Webhook


def webhooks_subscribed_to(event: str) -> list[Webhook]:
    """The active webhooks whose event patterns match ``event``."""
    # Matched in Python: a site has a handful of webhooks, and JSON containment lookups are not
    # portable between SQLite and PostgreSQL.
    return [
        webhook for webhook in Webhook.objects.filter(active=True) if webhook.subscribes_to(event)
    ]
