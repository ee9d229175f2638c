"""Lifecycle events out to people (e-mail) and systems (signed webhooks)."""
