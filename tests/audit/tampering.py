"""Changing the audit table behind the ORM's back, as someone with database access could."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

TRIGGER = "audit_auditentry_append_only"


@contextmanager
def trigger_disabled() -> Iterator[None]:
    """PostgreSQL: switch the append-only trigger off for the block (the tests run as superuser)."""
    if connection.vendor != "postgresql":
        yield
        return
    # ALTER TABLE refuses while deferred foreign-key checks of this transaction are pending.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE audit_auditentry DISABLE TRIGGER {TRIGGER}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE audit_auditentry ENABLE TRIGGER {TRIGGER}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def raw_sql(sql: str, params: list | None = None) -> None:
    """Run ``sql`` with the append-only trigger out of the way."""
    with trigger_disabled(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])
