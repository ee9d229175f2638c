"""PostgreSQL only: the append-only trigger, and appends from concurrent transactions."""

import threading

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from governance.audit.models import AuditEntry
from governance.audit.selectors import verify_chain
from governance.audit.services import record
from tests.accounts.factories import UserFactory

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
