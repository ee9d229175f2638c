"""Writing the audit log: ``record`` appends one entry; ``snapshot`` captures a row's state;
``rekey`` seals entries written before the chain was keyed; ``anchor_head`` copies the head
to the append-only place outside Hubgate (``HUBGATE_AUDIT_ANCHOR``).

Call ``record`` inside the transaction that makes the change it describes, as its last
write: the entry commits or rolls back with the change. Appends are serialized so that no
two transactions chain onto the same predecessor:

- PostgreSQL: ``pg_advisory_xact_lock(AUDIT_APPEND_LOCK)`` is held from the append until the
  caller's transaction ends, and the head row is read ``FOR UPDATE`` (under REPEATABLE READ
  a stale head then fails with a serialization error instead of forking the chain). The lock
  is why ``record`` should come last: other appends wait for the caller's commit.
- SQLite: the database has a single writer at a time; a transaction whose read of the head
  went stale cannot take the write lock ("database is locked") rather than fork.

Whatever the database, ``prev_hash`` is unique, so a fork is an IntegrityError, never a
silently branched chain. The id is the head's plus one, taken under the same lock, so ids have
no gaps (a database sequence would skip the ids of rolled-back appends) and a missing id is
a deleted entry.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, router, transaction
from django.db.models import Model
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from governance.errors import Conflict, ValidationFailed

from .anchors import Anchor, anchor_store
from .context import current_request_id
from .models import GENESIS_HASH, AuditEntry, AuditHead, HashAlgorithm, audit_key

logger = logging.getLogger(__name__)

#: The PostgreSQL advisory lock key that serializes appends ("HUBGAUDT" in ASCII).
AUDIT_APPEND_LOCK = 0x4855_4247_4155_4454

SYSTEM_ACTOR = "system"
ANONYMOUS_ACTOR = "anonymous"

_ACTION = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
_OBJECT_REPR_MAX = AuditEntry._meta.get_field("object_repr").max_length
_LIMITS = {
    "object_type": AuditEntry._meta.get_field("object_type").max_length,
    "object_id": AuditEntry._meta.get_field("object_id").max_length,
}


class AuditLogBroken(Conflict):
    """The log cannot be appended to because its head is missing while entries exist."""

    code = "audit_log_broken"
    title = "The audit log is damaged"


def record(
    *,
    action: str,
    obj: Model | None = None,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    object_repr: str | None = None,
) -> AuditEntry:
    """Append one entry describing ``action`` on ``obj`` by ``actor`` (None: the system).

    ``obj`` gives object_type/id/repr; explicit ``object_*`` arguments override it or stand
    alone when there is no model instance. ``before``/``after`` are JSON-serializable dicts
    (see ``snapshot``). Joins the caller's transaction; the entry rolls back with it.
    """
    if not _ACTION.fullmatch(action or ""):
        raise ValidationFailed(
            f'Audit action {action!r} is not a dotted verb like "version.approved".'
        )
    if obj is not None:
        if obj.pk is None:
            raise ValidationFailed("Cannot audit an object that has not been saved yet.")
        object_type = obj._meta.label_lower if object_type is None else object_type
        object_id = str(obj.pk) if object_id is None else object_id
        object_repr = str(obj) if object_repr is None else object_repr
    target = {"object_type": object_type or "", "object_id": str(object_id or "")}
    for name, value in target.items():
        if len(value) > _LIMITS[name]:
            raise ValidationFailed(f"Audit {name} is longer than {_LIMITS[name]} characters.")
    entry = AuditEntry(
        actor=actor if _is_user(actor) else None,
        actor_repr=_actor_repr(actor),
        action=action,
        object_repr=(object_repr or "")[:_OBJECT_REPR_MAX],
        before=_json_object(before, "before"),
        after=_json_object(after, "after"),
        request_id=current_request_id(),
        **target,
    )
    using = router.db_for_write(AuditEntry)
    with transaction.atomic(using=using):
        _serialize_appends(using)
        head = AuditHead.objects.using(using).select_for_update().filter(pk=1).first()
        if head is None:
            if AuditEntry.objects.using(using).exists():
                logger.error("audit head missing while entries exist: refusing to append")
                raise AuditLogBroken(
                    "The audit log's head record is missing while entries exist; "
                    "run `manage.py audit verify` and restore the log before writing to it."
                )
            head = AuditHead(last_entry_id=0, last_hash=GENESIS_HASH, count=0)
        # Taken under the lock, so created_at never decreases along the chain.
        entry.pk = head.last_entry_id + 1
        entry.created_at = timezone.now()
        entry.prev_hash = head.last_hash
        entry.hash_algorithm = HashAlgorithm.HMAC_SHA256
        entry.hash = entry.compute_hash()
        entry.save(using=using)
        head.last_entry_id = entry.pk
        head.last_hash = entry.hash
        head.count += 1
        head.updated_at = entry.created_at
        head.mac = head.compute_mac()
        head.save(using=using)
    return entry


def rekey() -> AuditEntry | None:
    """Seal entries written before the chain was keyed under ``HUBGATE_AUDIT_KEY``.

    Appends one keyed ``audit.chain_keyed`` entry (its HMAC covers the last unkeyed hash, so
    the unkeyed entries can no longer be rewritten) and thereby seals the head. Returns None
    when there is nothing to seal: the log is empty or already has keyed entries.
    """
    audit_key()  # refuse before writing anything if the key is missing
    using = router.db_for_write(AuditEntry)
    with transaction.atomic(using=using):
        _serialize_appends(using)
        entries = AuditEntry.objects.using(using)
        if entries.filter(hash_algorithm=HashAlgorithm.HMAC_SHA256).exists():
            return None
        head = AuditHead.objects.using(using).filter(pk=1).first()
        if head is None:
            return None
        return record(
            action="audit.chain_keyed",
            object_type="audit.audithead",
            object_id="1",
            object_repr="audit log",
            after={
                "unkeyed_entries": head.count,
                "last_unkeyed_entry_id": head.last_entry_id,
                "last_unkeyed_hash": head.last_hash,
            },
        )


def anchor_head(*, destination: str | None = None) -> Anchor | None:
    """Write the head (entry id, hash, count, time) to the anchor store and return it.

    ``destination`` defaults to ``settings.HUBGATE_AUDIT_ANCHOR`` (``file:///path`` or
    ``s3://bucket/prefix``). Returns None when the log is empty. Refuses (AuditLogBroken) a
    head that its MAC or its entry does not vouch for, so a forged head is never anchored.
    """
    store = anchor_store(destination)
    using = router.db_for_read(AuditEntry)
    with transaction.atomic(using=using):
        head = AuditHead.objects.using(using).filter(pk=1).first()
        if head is None:
            return None
        entry = AuditEntry.objects.using(using).filter(pk=head.last_entry_id).first()
    if not head.mac:
        raise AuditLogBroken(
            "The audit chain is not keyed yet: run `manage.py audit rekey`, then anchor it."
        )
    if entry is None or entry.hash != head.last_hash or head.mac != head.compute_mac():
        logger.error("audit head does not match its entry or MAC: refusing to anchor it")
        raise AuditLogBroken(
            "The audit head is not vouched for by its entry and MAC; "
            "run `manage.py audit verify` before anchoring."
        )
    anchor = Anchor(
        entry_id=head.last_entry_id,
        hash=head.last_hash,
        count=head.count,
        anchored_at=timezone.now(),
    )
    store.append(anchor)
    logger.info("audit head anchored: entry %s to %s", anchor.entry_id, store)
    return anchor


def snapshot(
    instance: Model, fields: Iterable[str] | None = None, *, exclude: Iterable[str] = ("password",)
) -> dict[str, Any]:
    """A JSON-ready dict of ``instance``'s fields (all concrete ones if ``fields`` is None).

    Values are as ``DjangoJSONEncoder`` writes them (datetimes ISO-8601, decimals and UUIDs
    as strings); foreign keys give the related id, many-to-many fields (only when named) the
    sorted ids, files their name. An entry can never be erased, so leave secrets out:
    ``exclude`` applies when ``fields`` is None and defaults to ``password``.
    """
    opts = instance._meta
    if fields is None:
        skip = set(exclude)
        chosen = [f for f in opts.concrete_fields if f.name not in skip]
    else:
        chosen = [opts.get_field(name) for name in fields]
    data: dict[str, Any] = {}
    for field in chosen:
        if field.many_to_many and not field.auto_created:
            data[field.name] = sorted(o.pk for o in field.value_from_object(instance))
        elif getattr(field, "concrete", False):
            data[field.name] = field.value_from_object(instance)
        else:
            raise ValidationFailed(f"{opts.label}.{field.name} is not a field of the row itself.")
    return json.loads(json.dumps(data, cls=_SnapshotEncoder))


class _SnapshotEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, FieldFile):
            return o.name or None
        if isinstance(o, bytes | bytearray | memoryview):
            return bytes(o).hex()
        if isinstance(o, set | frozenset):
            return sorted(o)
        return super().default(o)


def _is_user(actor: Any) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False) and actor.pk)


def _actor_repr(actor: Any) -> str:
    if actor is None:
        return SYSTEM_ACTOR
    if not _is_user(actor):
        return ANONYMOUS_ACTOR
    return actor.get_username()


def _json_object(value: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    """``value`` exactly as the database will give it back, so its hash can be recomputed."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValidationFailed(f"Audit {name} must be a dict or None, not {type(value).__name__}.")
    try:
        return _portable(json.loads(json.dumps(value, cls=DjangoJSONEncoder, allow_nan=False)))
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"Audit {name} is not JSON-serializable: {exc}") from exc


def _portable(value: Any) -> Any:
    """Spell numbers as PostgreSQL's jsonb gives them back, so the hash survives the trip.

    jsonb stores numbers as ``numeric``: it has no negative zero and prints 1e16 as
    10000000000000000 (an int to Python). Floats that large are whole numbers anyway.
    """
    if isinstance(value, float):
        if value == 0:
            return 0.0
        return int(value) if abs(value) >= 1e16 else value
    if isinstance(value, dict):
        return {key: _portable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_portable(item) for item in value]
    return value


def _serialize_appends(using: str) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_APPEND_LOCK])
