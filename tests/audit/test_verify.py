"""verify_chain: every kind of tampering behind the ORM's back is reported."""

import pytest
from django.db import connection

from governance.audit.models import AuditEntry
from governance.audit.selectors import verify_chain
from governance.audit.services import record
from tests.audit.tampering import raw_sql

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
        "INSERT INTO audit_auditentry (created_at, actor_repr, action, object_type, object_id,"
        " object_repr, request_id, prev_hash, hash) VALUES (%s, 'x', 'version.forged', '', '',"
        " '', '', %s, %s)",
        [connection.ops.adapt_datetimefield_value(last.created_at), last.hash, "e" * 64],
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
