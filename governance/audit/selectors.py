"""Reading the audit log: walking it in constant memory, and proving it was not tampered with."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connections, router, transaction
from django.db.models import QuerySet

from .models import GENESIS_HASH, AuditEntry, AuditHead

BATCH_SIZE = 1000


@dataclass(frozen=True)
class VerifyReport:
    """What ``verify_chain`` found: ``problems`` lists ``(entry_id or None, problem)``."""

    ok: bool
    checked: int
    problems: list[tuple[int | None, str]] = field(default_factory=list)
    head_entry_id: int | None = None
    head_hash: str | None = None
    head_count: int | None = None


def iter_entries(
    queryset: QuerySet[AuditEntry] | None = None, *, batch_size: int = BATCH_SIZE
) -> Iterator[AuditEntry]:
    """Entries of ``queryset`` (default: all) in id order, fetched ``batch_size`` at a time.

    Keyset pagination (``id > last``) keeps memory flat and holds no cursor open between
    batches, so it is safe inside a long streaming response.
    """
    queryset = (AuditEntry.objects.all() if queryset is None else queryset).order_by("pk")
    last_id = None
    while True:
        page = queryset if last_id is None else queryset.filter(pk__gt=last_id)
        batch = list(page[:batch_size])
        yield from batch
        if len(batch) < batch_size:
            return
        last_id = batch[-1].pk


def verify_chain(*, anchor: str | None = None, batch_size: int = BATCH_SIZE) -> VerifyReport:
    """Recompute every entry's hash and link, and compare the tail with the head record.

    Finds edited rows (their hash no longer matches), deleted rows (the next link breaks),
    deleted newest rows (the head records a later entry) and rows added outside ``record``.
    ``anchor`` is a head hash recorded earlier outside Hubgate: if the chain no longer
    contains it, history up to it was rewritten, which is the only way to catch someone who
    rewrote the whole chain and the head alike.
    """
    using = router.db_for_read(AuditEntry)
    problems: list[tuple[int | None, str]] = []
    checked = 0
    last: AuditEntry | None = None
    anchor_found = False
    with _consistent_snapshot(using):
        head = AuditHead.objects.using(using).filter(pk=1).first()
        for entry in iter_entries(AuditEntry.objects.using(using), batch_size=batch_size):
            checked += 1
            if entry.compute_hash() != entry.hash:
                problems.append((entry.pk, "hash does not match content"))
            if last is None:
                if entry.prev_hash != GENESIS_HASH:
                    problems.append(
                        (
                            entry.pk,
                            "chain broken: the first entry's prev_hash is not the genesis hash "
                            "(earlier entries deleted?)",
                        )
                    )
            elif entry.prev_hash != last.hash:
                problems.append((entry.pk, _broken_link(entry, last, using)))
            anchor_found = anchor_found or entry.hash == anchor
            last = entry
        problems.extend(_tail_problems(head, last, checked))
    if anchor is not None and not anchor_found:
        problems.append(
            (
                None,
                f"anchor {anchor} is not in the chain: the entries up to it were rewritten "
                "or deleted",
            )
        )
    return VerifyReport(
        ok=not problems,
        checked=checked,
        problems=problems,
        head_entry_id=head.last_entry_id if head else None,
        head_hash=head.last_hash if head else None,
        head_count=head.count if head else None,
    )


def _broken_link(entry: AuditEntry, previous: AuditEntry, using: str) -> str:
    message = f"chain broken: prev_hash does not match entry {previous.pk}'s hash"
    target = (
        AuditEntry.objects.using(using)
        .filter(hash=entry.prev_hash)
        .values_list("pk", flat=True)
        .first()
    )
    if target is None:
        return message + " (no entry has the hash it follows: deleted or rewritten?)"
    return message + f" (it follows entry {target})"


def _tail_problems(
    head: AuditHead | None, last: AuditEntry | None, checked: int
) -> list[tuple[int | None, str]]:
    if head is None:
        if last is None:
            return []
        return [(None, "the head record is missing: deleting the newest entries would go unseen")]
    if last is None:
        return [
            (
                head.last_entry_id,
                f"the log is empty but the head records {head.count} entries "
                f"ending at entry {head.last_entry_id}",
            )
        ]
    problems: list[tuple[int | None, str]] = []
    if last.pk < head.last_entry_id:
        problems.append(
            (
                head.last_entry_id,
                "missing: the head records it as the newest entry, but the log ends at "
                f"entry {last.pk} (newest entries deleted?)",
            )
        )
    elif last.pk > head.last_entry_id:
        problems.append(
            (
                last.pk,
                f"entry {last.pk} is newer than the head (entry {head.last_entry_id}): "
                "written outside governance.audit.services.record?",
            )
        )
    elif last.hash != head.last_hash:
        problems.append((last.pk, "hash differs from the head's: the newest entry was replaced"))
    if head.count != checked:
        problems.append((None, f"the head counts {head.count} entries but the log has {checked}"))
    return problems


@contextmanager
def _consistent_snapshot(using: str) -> Iterator[None]:
    """Read head and entries as of one moment, so appends during the walk are not problems."""
    connection = connections[using]
    if connection.in_atomic_block:
        yield  # the caller's transaction decides what is visible
        return
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        # SQLite: a read transaction sees one snapshot (WAL) or blocks writers until it ends.
        yield
