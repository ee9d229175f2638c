"""Reading the audit log: walking it in constant memory, and proving it was not tampered with."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connections, router, transaction
from django.db.models import QuerySet

from .anchors import Anchor
from .models import GENESIS_HASH, AuditEntry, AuditHead, iso_utc

BATCH_SIZE = 1000


@dataclass(frozen=True)
class VerifyReport:
    """What ``verify_chain`` found: ``problems`` lists ``(entry_id or None, problem)``;
    ``notes`` are irregularities that prove nothing wrong (they do not make it fail)."""

    ok: bool
    checked: int
    problems: list[tuple[int | None, str]] = field(default_factory=list)
    head_entry_id: int | None = None
    head_hash: str | None = None
    head_count: int | None = None
    notes: list[tuple[int | None, str]] = field(default_factory=list)
    anchors_checked: int = 0


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


def verify_chain(
    *,
    anchor: str | None = None,
    anchors: Iterable[Anchor] = (),
    batch_size: int = BATCH_SIZE,
) -> VerifyReport:
    """Recompute every entry's HMAC and link, look for missing ids, check the head record
    and its MAC, and compare the chain with the anchors written outside Hubgate.

    Finds edited rows (their hash no longer matches), deleted rows (a missing id, and the
    next link breaks), a chain recomputed without the key (HMACs that do not match, or
    unkeyed entries after keyed ones), deleted newest rows (the head records a later entry)
    and rows added outside ``record``. ``anchors`` (see ``governance.audit.anchors``) catch
    what the database alone cannot: newest rows deleted and an older head put back
    (an anchored id beyond the end of the log) and a chain rewritten with the key (an
    anchored hash no longer in it). ``anchor`` is one head hash recorded by hand.
    """
    using = router.db_for_read(AuditEntry)
    anchors = list(anchors)
    anchored_ids = {a.entry_id for a in anchors}
    anchored_seen: dict[int, tuple[str, int]] = {}  # id -> (hash, its position in the log)
    problems: list[tuple[int | None, str]] = []
    notes: list[tuple[int | None, str]] = []
    checked = keyed = keyed_mismatched = 0
    last: AuditEntry | None = None
    anchor_found = False
    with _consistent_snapshot(using):
        head = AuditHead.objects.using(using).filter(pk=1).first()
        for entry in iter_entries(AuditEntry.objects.using(using), batch_size=batch_size):
            checked += 1
            _check_id(entry, last, problems, notes)
            if entry.is_keyed:
                keyed += 1
                if entry.compute_hash() != entry.hash:
                    keyed_mismatched += 1
                    problems.append((entry.pk, "hash does not match content"))
            elif keyed:
                problems.append(
                    (
                        entry.pk,
                        "unkeyed (plain SHA-256) entry after keyed ones: the chain was "
                        "recomputed without HUBGATE_AUDIT_KEY",
                    )
                )
            elif entry.compute_hash() != entry.hash:
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
            if entry.pk in anchored_ids:
                anchored_seen[entry.pk] = (entry.hash, checked)
            last = entry
        problems.extend(_tail_problems(head, last, checked))
        problems.extend(_key_problems(head, checked, keyed, keyed_mismatched))
    if anchor is not None and not anchor_found:
        problems.append(
            (
                None,
                f"anchor {anchor} is not in the chain: the entries up to it were rewritten "
                "or deleted",
            )
        )
    for recorded in anchors:
        problems.extend(_anchor_problems(recorded, last, anchored_seen))
    return VerifyReport(
        ok=not problems,
        checked=checked,
        problems=problems,
        head_entry_id=head.last_entry_id if head else None,
        head_hash=head.last_hash if head else None,
        head_count=head.count if head else None,
        notes=notes,
        anchors_checked=len(anchors),
    )


def _check_id(
    entry: AuditEntry,
    last: AuditEntry | None,
    problems: list[tuple[int | None, str]],
    notes: list[tuple[int | None, str]],
) -> None:
    """``record`` gives out ids without gaps: a missing id is a deleted entry."""
    expected = 1 if last is None else last.pk + 1
    if entry.pk == expected:
        return
    missing = (
        f"entry {expected}" if entry.pk == expected + 1 else f"entries {expected}-{entry.pk - 1}"
    )
    if last is None:
        gap = f"no {missing}: the log starts at entry {entry.pk}"
        linked = entry.prev_hash == GENESIS_HASH
    else:
        gap = f"no {missing} between entries {last.pk} and {entry.pk}"
        linked = entry.prev_hash == last.hash
    if linked and not entry.is_keyed:
        # Before the chain was keyed, ids came from a database sequence, which skips the id
        # of a rolled-back append; the intact link shows nothing was taken out there.
        notes.append((expected, f"{gap}: ids skipped by appends rolled back before keying"))
        return
    problems.append((expected, f"missing: {gap} (deleted?)"))


def _key_problems(
    head: AuditHead | None, checked: int, keyed: int, keyed_mismatched: int
) -> list[tuple[int | None, str]]:
    problems: list[tuple[int | None, str]] = []
    if checked and not keyed:
        problems.append(
            (
                None,
                f"the chain is not keyed: its {checked} entries are plain SHA-256, which anyone "
                "who can write to the database can recompute; run `manage.py audit rekey`",
            )
        )
    if keyed and keyed_mismatched == keyed:
        problems.append(
            (
                None,
                f"none of the {keyed} keyed entries matches its HMAC: is HUBGATE_AUDIT_KEY "
                "the key this log was written with?",
            )
        )
    if head is not None and keyed and head.mac != head.compute_mac():
        problems.append(
            (None, "the head's MAC does not match: the head was rewritten without the key")
        )
    return problems


def _anchor_problems(
    recorded: Anchor, last: AuditEntry | None, seen: dict[int, tuple[str, int]]
) -> list[tuple[int | None, str]]:
    when = f"anchored {iso_utc(recorded.anchored_at)}"
    if last is None or recorded.entry_id > last.pk:
        end = f"entry {last.pk}" if last is not None else "nothing (the log is empty)"
        return [
            (
                recorded.entry_id,
                f"truncated: {when} as the newest entry, but the log now ends at {end} "
                "(newest entries deleted)",
            )
        ]
    if recorded.entry_id not in seen:
        return [(recorded.entry_id, f"{when}, and no longer in the log (deleted)")]
    entry_hash, position = seen[recorded.entry_id]
    if entry_hash != recorded.hash:
        return [
            (
                recorded.entry_id,
                f"{when} with hash {recorded.hash}, but the log now has {entry_hash}: "
                "the chain up to it was rewritten",
            )
        ]
    if position != recorded.count:
        return [
            (
                recorded.entry_id,
                f"{when} as entry {recorded.count} of the log, now entry {position}: "
                "entries before it were removed or added",
            )
        ]
    return []


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
