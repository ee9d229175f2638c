"""Recording audit entries: chained, transactional, append-only."""

import datetime as dt
import hashlib
import hmac
import itertools
import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction

from governance.audit.context import request_context
from governance.audit.models import GENESIS_HASH, AppendOnlyViolation, AuditEntry, AuditHead
from governance.audit.selectors import verify_chain
from governance.audit.services import AuditLogBroken, record, snapshot
from governance.errors import ValidationFailed
from tests.accounts.factories import UserFactory
from tests.audit.tampering import raw_sql
from tests.catalog.factories import ModelFactory, ModelVersionFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_entries_chain_each_onto_the_previous_hash(entries) -> None:
    assert entries[0].prev_hash == GENESIS_HASH
    for previous, entry in itertools.pairwise(entries):
        assert entry.prev_hash == previous.hash
    assert len({e.hash for e in entries}) == 5
    head = AuditHead.objects.get()
    assert (head.last_entry_id, head.last_hash, head.count) == (entries[-1].pk, entries[-1].hash, 5)
    assert verify_chain().ok


def test_the_hash_is_hmac_sha256_of_the_documented_canonical_json(user, settings) -> None:
    settings.HUBGATE_AUDIT_KEY = "a-test-key-of-thirty-two-characters!"
    with request_context("req-1"):
        entry = record(
            action="waiver.granted",
            actor=user,
            after={"b": 1, "a": [1, "x"]},
            object_type="approvals.waiver",
            object_id="7",
            object_repr="Waiver 7",
        )
    entry.refresh_from_db()
    payload = {
        "prev_hash": "0" * 64,
        "created_at": entry.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_repr": user.username,
        "action": "waiver.granted",
        "object_type": "approvals.waiver",
        "object_id": "7",
        "object_repr": "Waiver 7",
        "before": None,
        "after": {"a": [1, "x"], "b": 1},
        "request_id": "req-1",
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    key = b"a-test-key-of-thirty-two-characters!"
    assert entry.hash == hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()
    assert entry.hash_algorithm == "hmac-sha256"
    assert payload["created_at"].endswith("+00:00") and "." in payload["created_at"]


def test_record_derives_type_id_and_repr_from_the_object(user) -> None:
    version = ModelVersionFactory()
    entry = record(
        action="version.approved",
        obj=version,
        actor=user,
        before={"state": "in_review"},
        after={"state": "approved"},
    )
    assert (entry.object_type, entry.object_id) == ("catalog.modelversion", str(version.pk))
    assert entry.object_repr == str(version)
    assert (entry.actor, entry.actor_repr) == (user, user.username)
    assert AuditEntry.objects.get(object_type="catalog.modelversion", object_id=str(version.pk))


def test_explicit_object_fields_override_the_object_and_no_actor_is_the_system() -> None:
    version = ModelVersionFactory()
    entry = record(action="version.renamed", obj=version, object_repr="custom")
    assert (entry.object_id, entry.object_repr) == (str(version.pk), "custom")
    assert (entry.actor, entry.actor_repr) == (None, "system")


def test_an_anonymous_actor_is_recorded_as_such() -> None:
    entry = record(action="download.attempted", actor=AnonymousUser())
    assert (entry.actor, entry.actor_repr) == (None, "anonymous")


def test_a_task_carries_the_request_id_it_was_given() -> None:
    with request_context("req-from-web"):
        entry = record(action="version.retired", object_type="catalog.modelversion")
    assert entry.request_id == "req-from-web"
    assert record(action="version.retired").request_id == ""


def test_record_inside_a_rolled_back_transaction_leaves_nothing() -> None:
    first = record(action="policy.changed", object_type="approvals.policy", object_id="1")
    with pytest.raises(RuntimeError), transaction.atomic():
        record(action="policy.changed", object_type="approvals.policy", object_id="2")
        raise RuntimeError("the change failed")
    assert list(AuditEntry.objects.values_list("object_id", flat=True)) == ["1"]
    assert AuditHead.objects.get().count == 1
    after = record(action="policy.changed", object_type="approvals.policy", object_id="3")
    assert after.prev_hash == first.hash
    assert verify_chain().ok


def test_values_come_back_from_the_database_with_the_hash_they_were_written_with() -> None:
    after = {
        "when": dt.datetime(2025, 3, 1, 12, 30, 1, 123456, tzinfo=dt.UTC),
        "price": Decimal("12.50"),
        "big": 1e16,
        "tiny": 1.5e-10,
        "zero": -0.0,
        "ratio": 0.1 + 0.2,
        "text": 'Größe ✓ "quoted"',
        "nested": {"z": [1, None, True], 3: "int key"},
    }
    entry = record(action="settings.changed", after=after)
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.after == entry.after
    assert stored.compute_hash() == stored.hash
    assert verify_chain().ok


def test_record_refuses_what_it_could_not_verify_later() -> None:
    with pytest.raises(ValidationFailed, match="dotted verb"):
        record(action="Approved")
    with pytest.raises(ValidationFailed, match="JSON"):
        record(action="x.changed", after={"nan": float("nan")})
    with pytest.raises(ValidationFailed, match="dict"):
        record(action="x.changed", before=["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed, match="saved"):
        record(action="x.changed", obj=ModelFactory.build())
    assert not AuditEntry.objects.exists()


def test_updating_an_entry_through_the_orm_is_refused(entries) -> None:
    entry = entries[1]
    entry.action = "version.forged"
    with pytest.raises(AppendOnlyViolation):
        entry.save()
    with pytest.raises(AppendOnlyViolation):
        AuditEntry.objects.filter(pk=entry.pk).update(action="version.forged")
    with pytest.raises(AppendOnlyViolation):
        AuditEntry.objects.bulk_update([entry], ["action"])
    with pytest.raises(AppendOnlyViolation):
        AuditEntry.objects.update_or_create(pk=entry.pk, defaults={"action": "version.forged"})
    with pytest.raises(IntegrityError), transaction.atomic():  # an insert, never an update
        AuditEntry(
            pk=entry.pk,
            action="version.forged",
            prev_hash="1" * 64,
            hash="2" * 64,
            created_at=entry.created_at,
            actor_repr="x",
        ).save()
    assert AuditEntry.objects.get(pk=entry.pk).action == "version.submitted"
    assert verify_chain().ok


def test_deleting_entries_through_the_orm_is_refused(entries) -> None:
    with pytest.raises(AppendOnlyViolation):
        entries[0].delete()
    with pytest.raises(AppendOnlyViolation):
        AuditEntry.objects.filter(pk=entries[0].pk).delete()
    with pytest.raises(AppendOnlyViolation):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.count() == 5


def test_entries_are_appended_only_through_record() -> None:
    with pytest.raises(AppendOnlyViolation):
        AuditEntry.objects.bulk_create([AuditEntry(action="x.y", prev_hash="1" * 64)])


def test_deleting_the_actor_keeps_who_it_was_and_the_chain_intact() -> None:
    user = UserFactory(username="leaver")
    entry = record(
        action="apikey.created", actor=user, object_type="accounts.apikey", object_id="1"
    )
    user.delete()
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert (entry.actor, entry.actor_repr) == (None, "leaver")
    assert verify_chain().ok


def test_a_log_whose_head_vanished_refuses_new_entries(entries) -> None:
    raw_sql("DELETE FROM audit_audithead")
    with pytest.raises(AuditLogBroken):
        record(action="version.approved")


def test_snapshot_serializes_fields_as_the_json_encoder_does() -> None:
    version = ModelVersionFactory(published_at=dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
    data = snapshot(version)
    assert data["id"] == version.pk
    assert data["model"] == version.model_id
    assert data["published_at"] == "2025-01-02T03:04:05Z"
    assert data["name"] == version.name
    assert snapshot(version, fields=["name", "base_model"]) == {
        "name": version.name,
        "base_model": "SDXL 1.0",
    }
    json.dumps(data)  # plain JSON all the way down


def test_snapshot_lists_named_many_to_many_ids_and_leaves_passwords_out() -> None:
    model = ModelFactory()
    tags = [TagFactory(name="b"), TagFactory(name="a")]
    model.tags.set(tags)
    assert snapshot(model, fields=["tags"]) == {"tags": sorted(t.pk for t in tags)}
    user = UserFactory()
    assert "password" not in snapshot(user)
    assert snapshot(user)["username"] == user.username
