"""verify_chain: every kind of tampering behind the ORM's back is reported."""

import pytest
from django.db import connection, transaction
from django.utils import timezone

from governance.audit.anchors import Anchor
from governance.audit.models import AuditEntry, iso_utc
from governance.audit.selectors import verify_chain
from governance.audit.services import record, rekey
from tests.audit.tampering import (
    delete_and_recompute,
    head_row,
    put_head,
    raw_sql,
    write_unkeyed_log,
)

pytestmark = pytest.mark.django_db


def test_an_untouched_log_verifies(entries) -> None:
    report = verify_chain(batch_size=2)  # several batches
    assert report.ok and report.checked == 5 and report.problems == []
    assert (report.head_entry_id, report.head_hash, report.head_count) == (
        entries[-1].pk,
        entries[-1].hash,
        5,
    )


def test_an_empty_log_verifies(db) -> None:
    report = verify_chain()
    assert report.ok and report.checked == 0 and report.head_hash is None


def test_a_row_edited_with_raw_sql_no_longer_matches_its_hash(entries) -> None:
    edited = entries[2]
    raw_sql("UPDATE audit_auditentry SET object_repr = %s WHERE id = %s", ["forged", edited.pk])
    report = verify_chain(batch_size=2)
    assert not report.ok
    assert report.problems == [(edited.pk, "hash does not match content")]


def test_a_row_edited_and_rehashed_breaks_the_next_link(entries) -> None:
    edited = entries[2]
    raw_sql("UPDATE audit_auditentry SET hash = %s WHERE id = %s", ["f" * 64, edited.pk])
    problems = verify_chain().problems
    assert (edited.pk, "hash does not match content") in problems
    assert (
        entries[3].pk,
        f"chain broken: prev_hash does not match entry {edited.pk}'s hash "
        "(no entry has the hash it follows: deleted or rewritten?)",
    ) in problems


def test_a_deleted_middle_row_breaks_the_chain(entries) -> None:
    deleted = entries[2]
    raw_sql("DELETE FROM audit_auditentry WHERE id = %s", [deleted.pk])
    report = verify_chain(batch_size=2)
    assert report.problems == [
        (
            deleted.pk,
            f"missing: no entry {deleted.pk} between entries {entries[1].pk} and "
            f"{entries[3].pk} (deleted?)",
        ),
        (
            entries[3].pk,
            f"chain broken: prev_hash does not match entry {entries[1].pk}'s hash "
            "(no entry has the hash it follows: deleted or rewritten?)",
        ),
        (None, "the head counts 5 entries but the log has 4"),
    ]


def test_a_deleted_first_row_is_reported(entries) -> None:
    raw_sql("DELETE FROM audit_auditentry WHERE id = %s", [entries[0].pk])
    problems = verify_chain().problems
    assert problems[0] == (
        entries[0].pk,
        f"missing: no entry {entries[0].pk}: the log starts at entry {entries[1].pk} (deleted?)",
    )
    assert problems[1] == (
        entries[1].pk,
        "chain broken: the first entry's prev_hash is not the genesis hash "
        "(earlier entries deleted?)",
    )


def test_deleted_last_rows_are_caught_by_the_head(entries) -> None:
    raw_sql("DELETE FROM audit_auditentry WHERE id >= %s", [entries[3].pk])
    report = verify_chain()
    assert not report.ok
    assert report.problems == [
        (
            entries[4].pk,
            "missing: the head records it as the newest entry, but the log ends at "
            f"entry {entries[2].pk} (newest entries deleted?)",
        ),
        (None, "the head counts 5 entries but the log has 3"),
    ]


def test_every_row_deleted_is_caught_by_the_head(entries) -> None:
    raw_sql("DELETE FROM audit_auditentry")
    report = verify_chain()
    assert report.problems == [
        (
            entries[-1].pk,
            f"the log is empty but the head records 5 entries ending at entry {entries[-1].pk}",
        ),
    ]


def test_a_deleted_head_is_reported(entries) -> None:
    raw_sql("DELETE FROM audit_audithead")
    report = verify_chain()
    assert report.problems == [
        (None, "the head record is missing: deleting the newest entries would go unseen")
    ]


def test_a_row_added_outside_record_is_reported(entries) -> None:
    last = entries[-1]
    raw_sql(
        "INSERT INTO audit_auditentry (id, created_at, actor_repr, action, object_type,"
        " object_id, object_repr, request_id, prev_hash, hash, hash_algorithm) VALUES (%s, %s,"
        " 'x', 'version.forged', '', '', '', '', %s, %s, 'hmac-sha256')",
        [
            last.pk + 1,
            connection.ops.adapt_datetimefield_value(last.created_at),
            last.hash,
            "e" * 64,
        ],
    )
    forged = AuditEntry.objects.get(action="version.forged")
    problems = verify_chain().problems
    assert (forged.pk, "hash does not match content") in problems
    assert any(entry_id == forged.pk and "newer than the head" in p for entry_id, p in problems)


def test_an_anchor_proves_history_up_to_it_unchanged(entries) -> None:
    anchor = verify_chain().head_hash
    record(action="version.approved", object_type="catalog.modelversion", object_id="1")
    assert verify_chain(anchor=anchor).ok
    assert not verify_chain(anchor="a" * 64).ok


# --- Issue 16: a keyed chain, id gaps, anchors --------------------------------------------


def test_a_chain_recomputed_without_the_key_after_a_deletion_is_detected(entries) -> None:
    deleted = entries[2]
    delete_and_recompute(deleted.pk, key=None)
    problems = verify_chain().problems
    assert problems == [
        (
            deleted.pk,
            f"missing: no entry {deleted.pk} between entries {entries[1].pk} and "
            f"{entries[3].pk} (deleted?)",
        ),
        (entries[3].pk, "hash does not match content"),
        (entries[4].pk, "hash does not match content"),
        (None, "the head's MAC does not match: the head was rewritten without the key"),
    ]


def test_a_chain_recomputed_as_unkeyed_entries_is_a_downgrade(entries) -> None:
    delete_and_recompute(entries[2].pk, key=None, algorithm="sha256")
    problems = verify_chain().problems
    for later in entries[3:]:
        assert (
            later.pk,
            "unkeyed (plain SHA-256) entry after keyed ones: the chain was recomputed without "
            "HUBGATE_AUDIT_KEY",
        ) in problems


def test_an_id_gap_is_flagged_even_in_a_chain_recomputed_with_the_key(entries, settings) -> None:
    delete_and_recompute(entries[2].pk, key=settings.HUBGATE_AUDIT_KEY.encode())
    assert verify_chain().problems == [
        (
            entries[2].pk,
            f"missing: no entry {entries[2].pk} between entries {entries[1].pk} and "
            f"{entries[3].pk} (deleted?)",
        ),
    ]


def test_ids_are_given_out_without_gaps_even_when_an_append_rolls_back(db) -> None:
    first = record(action="version.submitted", object_id="1")
    with pytest.raises(RuntimeError), transaction.atomic():
        record(action="version.submitted", object_id="2")
        raise RuntimeError("the caller's transaction fails after the append")
    second = record(action="version.submitted", object_id="3")
    assert (first.pk, second.pk) == (1, 2)
    assert verify_chain().ok


def test_a_truncated_tail_with_an_old_head_put_back_is_caught_by_the_anchor(db) -> None:
    for n in range(3):
        record(action="version.submitted", object_id=str(n))
    old_head = head_row()  # copied by someone with database access
    record(action="version.approved", object_id="1")
    newest = record(action="version.deprecated", object_id="1")
    anchor = Anchor(entry_id=newest.pk, hash=newest.hash, count=5, anchored_at=timezone.now())
    raw_sql("DELETE FROM audit_auditentry WHERE id > %s", [old_head["last_entry_id"]])
    put_head(**old_head)
    # The database alone cannot tell: it is exactly the log as it was three entries ago.
    assert verify_chain().ok
    report = verify_chain(anchors=[anchor])
    assert not report.ok and report.anchors_checked == 1
    assert report.problems == [
        (
            newest.pk,
            f"truncated: anchored {iso_utc(anchor.anchored_at)} as the newest entry, but the "
            f"log now ends at entry {old_head['last_entry_id']} (newest entries deleted)",
        )
    ]


def test_a_chain_rewritten_with_a_stolen_key_is_caught_by_the_anchor(entries, settings) -> None:
    head = entries[-1]
    anchor = Anchor(entry_id=head.pk, hash=head.hash, count=5, anchored_at=timezone.now())
    delete_and_recompute(entries[1].pk, key=settings.HUBGATE_AUDIT_KEY.encode())
    rewritten = AuditEntry.objects.get(pk=head.pk).hash
    problems = verify_chain(anchors=[anchor]).problems
    assert (
        head.pk,
        f"anchored {iso_utc(anchor.anchored_at)} with hash {head.hash}, but the log now has "
        f"{rewritten}: the chain up to it was rewritten",
    ) in problems


def test_earlier_anchors_keep_verifying_as_the_log_grows(entries) -> None:
    anchors = [
        Anchor(entry_id=e.pk, hash=e.hash, count=n, anchored_at=timezone.now())
        for n, e in enumerate(entries, 1)
    ]
    record(action="version.approved", object_type="catalog.modelversion", object_id="1")
    report = verify_chain(anchors=anchors)
    assert report.ok and report.anchors_checked == 5


def test_a_wrong_key_is_named_as_the_likely_cause(entries, settings) -> None:
    settings.HUBGATE_AUDIT_KEY = "another-key-than-the-one-that-wrote-the-log"
    problems = verify_chain().problems
    assert (
        None,
        "none of the 5 keyed entries matches its HMAC: is HUBGATE_AUDIT_KEY the key this log "
        "was written with?",
    ) in problems


def test_unkeyed_entries_from_before_the_upgrade_verify_once_sealed_by_rekey(db) -> None:
    # A log written before the chain was keyed; id 3 went to an append that rolled back.
    write_unkeyed_log(ids=[1, 2, 4])
    report = verify_chain()
    assert report.problems == [
        (
            None,
            "the chain is not keyed: its 3 entries are plain SHA-256, which anyone who can "
            "write to the database can recompute; run `manage.py audit rekey`",
        )
    ]
    assert report.notes == [
        (3, "no entry 3 between entries 2 and 4: ids skipped by appends rolled back before keying")
    ]
    sealed = rekey()
    assert (sealed.pk, sealed.action, sealed.after["unkeyed_entries"]) == (
        5,
        "audit.chain_keyed",
        3,
    )
    assert rekey() is None  # once is enough
    record(action="version.approved", object_id="1")
    report = verify_chain()
    assert report.ok, report.problems
    assert report.checked == 5


def test_an_unkeyed_entry_rewritten_after_sealing_breaks_the_keyed_link(db) -> None:
    write_unkeyed_log(ids=[1, 2, 3])
    rekey()
    delete_and_recompute(2, key=None)  # the unkeyed part recomputed; the keyed seal is not
    problems = verify_chain().problems
    assert (4, "hash does not match content") in problems
