"""PostgreSQL only: the append-only triggers (entries, head, TRUNCATE), and appends from
concurrent transactions."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from governance.audit.models import AuditEntry
from governance.audit.selectors import verify_chain
from governance.audit.services import record
from tests.accounts.factories import UserFactory
from tests.audit.tampering import head_row

pytestmark = pytest.mark.postgres


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET object_repr = 'forged' WHERE id = %s",
        "UPDATE audit_auditentry SET actor_id = NULL, action = 'x.forged' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ],
)
def test_the_trigger_refuses_raw_sql_updates_and_deletes(entries, sql) -> None:
    with (
        pytest.raises((IntegrityError, InternalError), match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [entries[1].pk])
    assert AuditEntry.objects.count() == 5
    assert verify_chain().ok


@pytest.mark.django_db
def test_the_trigger_lets_a_deleted_user_be_unlinked() -> None:
    user = UserFactory()
    entry = record(
        action="permission.granted", actor=user, object_type="auth.user", object_id=str(user.pk)
    )
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET actor_id = NULL WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).actor_id is None
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_chain_one_after_another() -> None:
    per_thread, threads = 25, 4
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def append(n: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                with transaction.atomic():
                    # Read something first, as a real service would, before appending.
                    AuditEntry.objects.filter(object_id="none").exists()
                    record(
                        action="usage.reported", object_type="tests.thread", object_id=f"{n}-{i}"
                    )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=append, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert errors == []
    report = verify_chain()
    assert report.ok, report.problems
    assert report.checked == per_thread * threads
    prev_hashes = list(AuditEntry.objects.values_list("prev_hash", flat=True))
    assert len(prev_hashes) == len(set(prev_hashes)) == per_thread * threads


@contextmanager
def as_the_application_role() -> Iterator[None]:
    """Inside the test's transaction: act as an ordinary (non-superuser) role, as Hubgate
    should run in production. The role and its grants roll back with the transaction."""
    with connection.cursor() as cursor:
        # TRUNCATE refuses to run while this transaction's deferred foreign-key checks wait.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("CREATE ROLE hubgate_app_test NOLOGIN NOSUPERUSER")
        cursor.execute(
            "GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE "
            "ON audit_auditentry, audit_audithead TO hubgate_app_test"
        )
        cursor.execute("SET LOCAL ROLE hubgate_app_test")
    yield


@pytest.mark.django_db
@pytest.mark.parametrize("table", ["audit_auditentry", "audit_audithead"])
def test_truncate_of_the_audit_tables_is_refused(entries, table) -> None:
    with (
        pytest.raises((IntegrityError, InternalError), match="append-only: TRUNCATE"),
        transaction.atomic(),
        as_the_application_role(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"TRUNCATE {table} CASCADE")
    assert AuditEntry.objects.count() == 5
    assert verify_chain().ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("DELETE FROM audit_audithead", []),
        # An older head put back over the current one.
        ("UPDATE audit_audithead SET last_entry_id = %s, last_hash = %s, count = 3", [3, None]),
        # A head that skips entries, or points at an entry that is not the next one.
        ("UPDATE audit_audithead SET count = count + 1, last_hash = %s", ["a" * 64]),
    ],
)
def test_the_head_row_only_moves_forward_by_one_append(entries, sql, params) -> None:
    params = [entries[2].hash if p is None else p for p in params]
    before = head_row()
    with (
        pytest.raises((IntegrityError, InternalError), match="head only moves forward"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
    assert head_row() == before
    assert verify_chain().ok


@pytest.mark.django_db
def test_appends_still_move_the_guarded_head(entries) -> None:
    record(action="version.approved", object_type="catalog.modelversion", object_id="1")
    assert head_row()["count"] == 6
    assert verify_chain().ok
