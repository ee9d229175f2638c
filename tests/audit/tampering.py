"""Changing the audit tables behind the ORM's back, as someone with database access could."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.utils import timezone

from governance.audit.models import GENESIS_HASH, AuditEntry, AuditHead, chain_hash, head_mac

#: The tables whose PostgreSQL triggers guard the log (migrations 0002 and 0004).
TABLES = ("audit_auditentry", "audit_audithead")


@contextmanager
def trigger_disabled() -> Iterator[None]:
    """PostgreSQL: switch the audit triggers off for the block (the tests run as superuser)."""
    if connection.vendor != "postgresql":
        yield
        return
    # ALTER TABLE refuses while deferred foreign-key checks of this transaction are pending.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in TABLES:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in TABLES:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def raw_sql(sql: str, params: list | None = None) -> None:
    """Run ``sql`` with the audit triggers out of the way."""
    with trigger_disabled(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def head_row() -> dict[str, Any]:
    """The head as stored, MAC included: what an attacker would copy to put back later."""
    return AuditHead.objects.values("last_entry_id", "last_hash", "count", "mac").get()


def put_head(*, last_entry_id: int, last_hash: str, count: int, mac: str) -> None:
    raw_sql(
        "UPDATE audit_audithead SET last_entry_id = %s, last_hash = %s, count = %s, mac = %s",
        [last_entry_id, last_hash, count, mac],
    )


def delete_and_recompute(entry_id: int, *, key: bytes | None, algorithm: str = "") -> None:
    """Delete one entry, re-chain every later one and point the head at the new tail.

    ``key`` None recomputes as someone without the key can: plain SHA-256, labelled
    ``algorithm`` (default: left as it was). With the real key it is someone who stole it,
    whom only the anchors catch.
    """
    previous = AuditEntry.objects.filter(pk__lt=entry_id).order_by("-pk").first()
    prev_hash = previous.hash if previous else GENESIS_HASH
    later = list(AuditEntry.objects.filter(pk__gt=entry_id).order_by("pk"))
    raw_sql("DELETE FROM audit_auditentry WHERE id = %s", [entry_id])
    for entry in later:
        new_hash = chain_hash(
            key=key,
            prev_hash=prev_hash,
            created_at=entry.created_at,
            actor_repr=entry.actor_repr,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            object_repr=entry.object_repr,
            before=entry.before,
            after=entry.after,
            request_id=entry.request_id,
        )
        raw_sql(
            "UPDATE audit_auditentry SET prev_hash = %s, hash = %s, hash_algorithm = %s "
            "WHERE id = %s",
            [prev_hash, new_hash, algorithm or entry.hash_algorithm, entry.pk],
        )
        prev_hash = new_hash
    tail = later[-1].pk if later else previous.pk
    count = AuditEntry.objects.count()
    forged_mac = (
        head_mac(key=key, last_entry_id=tail, last_hash=prev_hash, count=count)
        if key is not None
        else hashlib.sha256(f"{tail}:{prev_hash}:{count}".encode()).hexdigest()
    )
    put_head(last_entry_id=tail, last_hash=prev_hash, count=count, mac=forged_mac)


def write_unkeyed_log(*, ids: list[int]) -> None:
    """Entries as a Hubgate release before the keyed chain wrote them: plain SHA-256."""
    prev_hash = GENESIS_HASH
    moment = timezone.now()
    for entry_id in ids:
        digest = chain_hash(
            key=None,
            prev_hash=prev_hash,
            created_at=moment,
            actor_repr="system",
            action="version.submitted",
            object_type="catalog.modelversion",
            object_id=str(entry_id),
            object_repr="",
            before=None,
            after=None,
            request_id="",
        )
        raw_sql(
            "INSERT INTO audit_auditentry (id, created_at, actor_repr, action, object_type,"
            " object_id, object_repr, request_id, prev_hash, hash, hash_algorithm) VALUES (%s,"
            " %s, 'system', 'version.submitted', 'catalog.modelversion', %s, '', '', %s, %s,"
            " 'sha256')",
            [
                entry_id,
                connection.ops.adapt_datetimefield_value(moment),
                str(entry_id),
                prev_hash,
                digest,
            ],
        )
        prev_hash = digest
    raw_sql(
        "INSERT INTO audit_audithead (id, last_entry_id, last_hash, count, updated_at, mac)"
        " VALUES (1, %s, %s, %s, %s, '')",
        [ids[-1], prev_hash, len(ids), connection.ops.adapt_datetimefield_value(moment)],
    )
