"""``manage.py audit verify`` and ``manage.py audit export``."""

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from governance.audit.models import AuditEntry, chain_hash
from governance.audit.services import record
from tests.audit.tampering import (
    delete_and_recompute,
    head_row,
    put_head,
    raw_sql,
    write_unkeyed_log,
)

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_verify_exits_0_and_prints_the_head_hash_to_keep(entries) -> None:
    out = run("verify")
    assert "OK: 5 entries verified." in out
    assert f"Head: entry {entries[-1].pk}, 5 entries, hash {entries[-1].hash}" in out
    assert "Keep this head outside Hubgate (`audit anchor` does" in out


def test_verify_exits_1_and_lists_each_problem(entries) -> None:
    raw_sql("UPDATE audit_auditentry SET action = 'version.forged' WHERE id = %s", [entries[1].pk])
    raw_sql("DELETE FROM audit_auditentry WHERE id = %s", [entries[4].pk])
    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("audit", "verify", stdout=out)
    assert failure.value.returncode == 1
    text = out.getvalue()
    assert "FAILED: 3 problem(s) in 4 entries." in text
    assert f"  entry {entries[1].pk}: hash does not match content" in text
    assert f"  entry {entries[4].pk}: missing: the head records it as the newest entry" in text
    assert "  log: the head counts 5 entries but the log has 4" in text


def test_verify_with_an_anchor_that_is_gone_fails(entries) -> None:
    with pytest.raises(CommandError):
        run("verify", "--anchor", "b" * 64)
    assert "OK" in run("verify", "--anchor", entries[2].hash)


def test_export_json_has_every_hashed_field_and_can_be_verified_offline_with_the_key(
    entries, user, settings
) -> None:
    record(action="waiver.granted", actor=user, after={"scope": "version"}, object_id="9")
    rows = json.loads(run("export", "--format", "json"))
    assert [r["id"] for r in rows] == list(AuditEntry.objects.values_list("pk", flat=True))
    last = rows[-1]
    assert (last["actor_repr"], last["actor_id"], last["after"]) == (
        user.username,
        user.pk,
        {"scope": "version"},
    )
    key = settings.HUBGATE_AUDIT_KEY.encode()
    for row in rows:
        assert row["hash_algorithm"] == "hmac-sha256"
        fields = {k: row[k] for k in row if k not in ("id", "actor_id", "hash", "hash_algorithm")}
        fields["created_at"] = dt.datetime.fromisoformat(row["created_at"])
        assert chain_hash(key=key, **fields) == row["hash"]
        assert chain_hash(key=None, **fields) != row["hash"]


def test_export_csv_to_a_file_since_a_time(entries, tmp_path) -> None:
    cutoff = AuditEntry.objects.get(pk=entries[3].pk).created_at
    target = tmp_path / "audit.csv"
    run("export", "--format", "csv", "--since", cutoff.isoformat(), "--output", str(target))
    rows = list(csv.DictReader(target.open(encoding="utf-8", newline="")))
    assert [int(r["id"]) for r in rows] == [entries[3].pk, entries[4].pk]
    assert rows[0]["action"] == "version.submitted"
    assert rows[0]["before"] == "" and rows[0]["prev_hash"] == entries[2].hash


def test_export_csv_defuses_spreadsheet_formulas(db) -> None:
    record(action="model.imported", object_repr='=HYPERLINK("http://evil")', after={"a": 1})
    row = next(csv.DictReader(io.StringIO(run("export", "--format", "csv"))))
    assert row["object_repr"] == '\'=HYPERLINK("http://evil")'
    assert row["after"] == '{"a":1}'


def test_export_of_an_empty_log_is_valid(db) -> None:
    assert json.loads(run("export")) == []
    assert run("export", "--format", "csv").splitlines() == [
        "id,created_at,actor_id,actor_repr,action,object_type,object_id,object_repr,before,"
        "after,request_id,prev_hash,hash,hash_algorithm"
    ]


def test_export_refuses_a_since_that_is_not_a_date(db) -> None:
    with pytest.raises(CommandError, match="ISO-8601"):
        run("export", "--since", "yesterday")


def test_anchor_then_verify_with_the_anchors_passes(entries, settings, tmp_path) -> None:
    settings.HUBGATE_AUDIT_ANCHOR = f"file://{tmp_path / 'anchors.jsonl'}"
    assert f"Anchored entry {entries[-1].pk} (5 entries), hash {entries[-1].hash}" in run("anchor")
    out = run("verify", "--anchor")
    assert "OK: 5 entries verified." in out
    assert f"Anchors: 1 checked, from file://{tmp_path / 'anchors.jsonl'}." in out


def test_verify_with_the_anchors_fails_on_a_truncated_tail(db, settings, tmp_path) -> None:
    target = f"file://{tmp_path / 'anchors.jsonl'}"
    for n in range(3):
        record(action="version.submitted", object_id=str(n))
    old_head = head_row()
    newest = record(action="version.approved", object_id="1")
    run("anchor", "--to", target)
    raw_sql("DELETE FROM audit_auditentry WHERE id = %s", [newest.pk])
    put_head(**old_head)
    assert "OK" in run("verify")  # without the anchors nothing shows
    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("audit", "verify", "--anchor", target, stdout=out)
    assert failure.value.returncode == 1
    text = out.getvalue()
    assert "FAILED: 1 problem(s) in 3 entries." in text
    assert f"  entry {newest.pk}: truncated: anchored " in text
    assert f"but the log now ends at entry {old_head['last_entry_id']}" in text


def test_verify_lists_a_missing_id(entries) -> None:
    delete_and_recompute(entries[1].pk, key=None)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("audit", "verify", stdout=out)
    assert (
        f"  entry {entries[1].pk}: missing: no entry {entries[1].pk} between entries "
        f"{entries[0].pk} and {entries[2].pk} (deleted?)"
    ) in out.getvalue()


def test_verify_with_anchors_but_no_destination_is_a_usage_error(entries, settings) -> None:
    settings.HUBGATE_AUDIT_ANCHOR = ""
    with pytest.raises(CommandError, match="HUBGATE_AUDIT_ANCHOR is not set") as failure:
        run("verify", "--anchor")
    assert failure.value.returncode == 2
    with pytest.raises(CommandError, match="HUBGATE_AUDIT_ANCHOR is not set"):
        run("anchor")


def test_verify_warns_when_no_anchor_was_written_yet(entries, tmp_path) -> None:
    out = run("verify", "--anchor", f"file://{tmp_path / 'none.jsonl'}")
    assert "Anchors: 0 checked" in out and "No anchors written there yet" in out


def test_rekey_seals_an_unkeyed_log_once(db) -> None:
    write_unkeyed_log(ids=[1, 2])
    with pytest.raises(CommandError):
        run("verify")
    assert "Sealed 2 unkeyed entries under HUBGATE_AUDIT_KEY with entry 3." in run("rekey")
    assert "Nothing to seal" in run("rekey")
    assert "OK: 3 entries verified." in run("verify")
