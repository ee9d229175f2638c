"""Anchoring the audit head outside Hubgate: an append-only file, or S3 with Object Lock."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured

from governance.audit.anchors import Anchor, FileAnchorStore, S3AnchorStore, anchor_store
from governance.audit.selectors import verify_chain
from governance.audit.services import AuditLogBroken, anchor_head, record
from governance.audit.tasks import anchor_audit_head_task
from tests.audit.tampering import head_row, put_head

pytestmark = pytest.mark.django_db


def test_anchoring_appends_the_head_as_one_json_line(entries, tmp_path) -> None:
    path = tmp_path / "anchors.jsonl"
    path.write_text("")  # an existing file is appended to, never truncated
    first = anchor_head(destination=f"file://{path}")
    newest = record(action="version.approved", object_id="1")
    second = anchor_head(destination=f"file://{path}")
    lines = path.read_text().splitlines()
    assert [json.loads(line) for line in lines] == [
        {
            "entry_id": entries[-1].pk,
            "hash": entries[-1].hash,
            "count": 5,
            "anchored_at": first.anchored_at.astimezone(UTC).isoformat(timespec="microseconds"),
        },
        {
            "entry_id": newest.pk,
            "hash": newest.hash,
            "count": 6,
            "anchored_at": second.anchored_at.astimezone(UTC).isoformat(timespec="microseconds"),
        },
    ]
    assert list(FileAnchorStore(path).read()) == [first, second]
    assert verify_chain(anchors=FileAnchorStore(path).read()).ok


def test_a_new_anchor_file_is_not_world_readable(entries, tmp_path) -> None:
    path = tmp_path / "new.jsonl"
    anchor_head(destination=f"file://{path}")
    assert stat.S_IMODE(os.stat(path).st_mode) & 0o007 == 0


def test_the_anchor_file_is_opened_for_appending_only(entries, tmp_path, monkeypatch) -> None:
    opened: list[int] = []
    real_open = os.open

    def spy(path, flags, *args):
        opened.append(flags)
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", spy)
    anchor_head(destination=f"file://{tmp_path / 'a.jsonl'}")
    assert opened and all(flags & os.O_APPEND and not flags & os.O_TRUNC for flags in opened)


def test_an_empty_log_is_not_anchored(db, tmp_path) -> None:
    path = tmp_path / "anchors.jsonl"
    assert anchor_head(destination=f"file://{path}") is None
    assert not path.exists()


def test_a_head_its_mac_does_not_vouch_for_is_never_anchored(entries, tmp_path) -> None:
    forged = {**head_row(), "mac": "0" * 64}
    put_head(**forged)
    path = tmp_path / "anchors.jsonl"
    with pytest.raises(AuditLogBroken, match="not vouched for"):
        anchor_head(destination=f"file://{path}")
    assert not path.exists()


def test_the_destination_comes_from_the_setting(settings, tmp_path) -> None:
    settings.HUBGATE_AUDIT_ANCHOR = f"file://{tmp_path}/a%20b.jsonl"
    assert anchor_store().path == tmp_path / "a b.jsonl"
    settings.HUBGATE_AUDIT_ANCHOR = "s3://audit-bucket/hubgate/anchors/"
    store = anchor_store()
    assert (store.bucket, store.prefix) == ("audit-bucket", "hubgate/anchors")


@pytest.mark.parametrize("url", ["", "ftp://host/x", "file://", "s3:///prefix", "/var/a.jsonl"])
def test_an_unusable_destination_is_refused(settings, url) -> None:
    settings.HUBGATE_AUDIT_ANCHOR = url
    with pytest.raises(ImproperlyConfigured, match="HUBGATE_AUDIT_ANCHOR"):
        anchor_store()


def test_a_damaged_anchor_line_is_reported_with_its_place(tmp_path) -> None:
    path = tmp_path / "anchors.jsonl"
    path.write_text('{"entry_id": 1, "hash": "x", "count": 1, "anchored_at": "2026-01-01"}\n{\n')
    with pytest.raises(ValueError, match=r"anchors.jsonl:2: not an audit anchor"):
        list(FileAnchorStore(path).read())


def test_the_beat_task_anchors_to_the_configured_file(entries, settings, tmp_path) -> None:
    path = tmp_path / "anchors.jsonl"
    settings.HUBGATE_AUDIT_ANCHOR = f"file://{path}"
    result = anchor_audit_head_task.delay().get()
    assert result == {"entry_id": entries[-1].pk, "hash": entries[-1].hash, "count": 5}
    assert len(path.read_text().splitlines()) == 1


def test_the_beat_task_does_nothing_without_a_destination(entries, settings) -> None:
    settings.HUBGATE_AUDIT_ANCHOR = ""
    assert anchor_audit_head_task.delay().get() is None


# --- S3 with Object Lock --------------------------------------------------------------------

ANCHOR = Anchor(
    entry_id=7, hash="a" * 64, count=7, anchored_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
)


def test_the_s3_request_locks_the_object_until_the_retention_ends(settings) -> None:
    settings.HUBGATE_AUDIT_ANCHOR_LOCK_MODE = "COMPLIANCE"
    settings.HUBGATE_AUDIT_ANCHOR_RETAIN_DAYS = 400
    request = S3AnchorStore("audit-bucket", "/hubgate/").put_request(ANCHOR)
    assert request == {
        "Bucket": "audit-bucket",
        "Key": "hubgate/20261201T093000000000Z-entry-7.json",
        "Body": (ANCHOR.as_json() + "\n").encode(),
        "ContentType": "application/json",
        "ObjectLockMode": "COMPLIANCE",
        "ObjectLockRetainUntilDate": ANCHOR.anchored_at + timedelta(days=400),
        "ChecksumAlgorithm": "SHA256",
    }


@pytest.fixture
def s3_bucket(monkeypatch):
    """A bucket with Object Lock on moto's in-process S3."""
    moto = pytest.importorskip("moto")
    boto3 = pytest.importorskip("boto3")
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with moto.mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="audit-anchors", ObjectLockEnabledForBucket=True)
        yield client


def test_anchors_written_to_s3_are_locked_and_read_back(entries, settings, s3_bucket) -> None:
    settings.HUBGATE_AUDIT_ANCHOR = "s3://audit-anchors/hubgate"
    settings.HUBGATE_AUDIT_ANCHOR_ENDPOINT_URL = ""
    settings.HUBGATE_AUDIT_ANCHOR_REGION = "us-east-1"
    first = anchor_head()
    record(action="version.approved", object_id="1")
    second = anchor_head()
    listed = s3_bucket.list_objects_v2(Bucket="audit-anchors", Prefix="hubgate/")["Contents"]
    assert len(listed) == 2
    head = s3_bucket.head_object(Bucket="audit-anchors", Key=listed[0]["Key"])
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] > datetime.now(UTC) + timedelta(days=399)
    versions = s3_bucket.list_object_versions(Bucket="audit-anchors")["Versions"]
    with pytest.raises(s3_bucket.exceptions.ClientError, match="AccessDenied"):
        s3_bucket.delete_object(
            Bucket="audit-anchors", Key=versions[0]["Key"], VersionId=versions[0]["VersionId"]
        )
    read = sorted(anchor_store().read(), key=lambda a: a.entry_id)
    assert read == [first, second]
    assert verify_chain(anchors=read).ok
