"""The purge: expired and abandoned uploads and blobs attached to nothing leave the disk."""

import os
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from governance.audit.models import AuditEntry
from governance.ingest import services, storage
from governance.ingest.models import Blob, UploadSession
from governance.ingest.tasks import purge_stale_uploads_task
from governance.scanning.models import FileScan
from tests.catalog.factories import ModelVersionFactory

pytestmark = pytest.mark.django_db


def spool(session: UploadSession):
    return storage.spool_dir() / f"session-{session.pk}"


def old_blob(data: bytes | None = None, *, scan_status: str = FileScan.Status.DONE) -> Blob:
    """A blob stored well before the grace period, its scan in ``scan_status``."""
    blob = services.ingest_chunks([data or os.urandom(1000)])
    long_ago = timezone.now() - timedelta(hours=settings.HUBGATE_UPLOAD_PURGE_GRACE_HOURS + 1)
    Blob.objects.filter(pk=blob.pk).update(created_at=long_ago)
    FileScan.objects.filter(blob=blob).update(status=scan_status)
    return Blob.objects.get(pk=blob.pk)


def purge_audits():
    return AuditEntry.objects.filter(action="upload.purged")


def test_an_expired_upload_is_purged_with_its_spool_file(user) -> None:
    expired = services.start_upload(user=user, filename="a.bin", size=10)
    services.append_chunk(session=expired, offset=0, chunks=[b"12345"])
    UploadSession.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    live = services.start_upload(user=user, filename="b.bin", size=10)

    report = services.purge_stale_uploads()

    assert (report.sessions, report.session_bytes) == (1, 5)
    assert not UploadSession.objects.filter(pk=expired.pk).exists()
    assert not spool(expired).exists()
    assert UploadSession.objects.filter(pk=live.pk).exists() and spool(live).exists()


def test_failed_aborted_and_stuck_uploads_are_purged_after_the_grace_period(user) -> None:
    sessions = {
        status: services.start_upload(user=user, filename=f"{status}.bin", size=10)
        for status in ("failed", "aborted", "completing")
    }
    for status, session in sessions.items():
        UploadSession.objects.filter(pk=session.pk).update(status=status)
    assert services.purge_stale_uploads().sessions == 0  # recent: a client may still look

    later = timezone.now() + timedelta(hours=settings.HUBGATE_UPLOAD_PURGE_GRACE_HOURS + 1)
    assert services.purge_stale_uploads(now=later).sessions == 3
    assert not UploadSession.objects.exists()


def test_a_completed_upload_is_kept(user) -> None:
    session = services.start_upload(user=user, filename="a.bin", size=3)
    services.append_chunk(session=session, offset=0, chunks=[b"abc"])
    services.complete_upload(session=session)
    later = timezone.now() + timedelta(days=365)
    services.purge_stale_uploads(now=later)
    assert UploadSession.objects.filter(pk=session.pk).exists()


def test_a_blob_attached_to_nothing_is_purged_after_the_grace_period() -> None:
    orphan = old_blob()
    recent = services.ingest_chunks([os.urandom(500)])
    FileScan.objects.filter(blob=recent).update(status=FileScan.Status.DONE)

    report = services.purge_stale_uploads()

    assert (report.blobs, report.blob_bytes) == (1, 1000)
    assert report.blob_sha256s == [orphan.sha256]
    assert not Blob.objects.filter(pk=orphan.pk).exists()
    assert not default_storage.exists(orphan.storage_name)
    assert not FileScan.objects.filter(blob_id=orphan.pk).exists()
    assert Blob.objects.filter(pk=recent.pk).exists()


def test_a_blob_of_a_model_file_is_never_purged() -> None:
    blob = old_blob()
    services.attach_blob(version=ModelVersionFactory(), blob=blob, name="w.safetensors")
    assert services.purge_stale_uploads().blobs == 0
    assert default_storage.exists(blob.storage_name)


@pytest.mark.parametrize("status", [FileScan.Status.QUEUED, FileScan.Status.RUNNING])
def test_a_blob_being_scanned_is_never_purged(status) -> None:
    blob = old_blob(scan_status=status)
    assert services.purge_stale_uploads().blobs == 0
    assert Blob.objects.filter(pk=blob.pk).exists()


def test_a_blob_an_unfinished_upload_refers_to_is_never_purged(user) -> None:
    blob = old_blob()
    session = services.start_upload(user=user, filename="a.bin", size=1000)
    UploadSession.objects.filter(pk=session.pk).update(status="completing", blob=blob)
    assert services.purge_stale_uploads().blobs == 0


def test_an_upload_of_bytes_purged_while_it_completes_stores_them_again(user, monkeypatch) -> None:
    data = os.urandom(2000)
    doomed = old_blob(data)
    session = services.start_upload(user=user, filename="a.bin", size=len(data))
    services.append_chunk(session=session, offset=0, chunks=[data])
    real_ingest = services.ingest_chunks
    calls = []

    def ingest_then_purge(*args, **kwargs):
        blob = real_ingest(*args, **kwargs)
        if not calls:  # the purge runs between finding the blob and attaching it
            assert blob.pk == doomed.pk
            assert services.purge_stale_uploads().blobs == 1
        calls.append(blob)
        return blob

    monkeypatch.setattr(services, "ingest_chunks", ingest_then_purge)
    done = services.complete_upload(session=session)

    assert done.status == UploadSession.Status.COMPLETE and done.blob_id != doomed.pk
    with storage.open_blob(done.blob.storage_name) as fh:
        assert fh.read() == data


def test_spool_files_no_upload_owns_are_purged_after_the_grace_period(user) -> None:
    session = services.start_upload(user=user, filename="a.bin", size=10)
    leftover = storage.new_spool_file()
    leftover.write_bytes(b"x" * 7)
    unrelated = storage.spool_dir() / "keep-me"
    unrelated.write_bytes(b"y")
    long_ago = (timezone.now() - timedelta(days=30)).timestamp()
    for path in (leftover, spool(session), unrelated):
        os.utime(path, (long_ago, long_ago))

    report = services.purge_stale_uploads()

    assert (report.spool_files, report.spool_bytes) == (1, 7)
    assert not leftover.exists()
    assert spool(session).exists() and unrelated.exists()


def test_each_purge_run_that_deleted_something_is_audited_once(user) -> None:
    assert services.purge_stale_uploads().purged_anything is False
    assert not purge_audits().exists()  # nothing deleted: nothing to account for

    orphan = old_blob()
    expired = services.start_upload(user=user, filename="a.bin", size=10)
    UploadSession.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    purge_stale_uploads_task.delay()

    entry = purge_audits().get()
    assert entry.after["sessions"] == 1 and entry.after["session_ids"] == [str(expired.pk)]
    assert entry.after["blobs"] == 1 and entry.after["blob_bytes"] == 1000
    assert entry.after["blob_sha256s"] == [orphan.sha256]
    assert entry.after["grace_hours"] == settings.HUBGATE_UPLOAD_PURGE_GRACE_HOURS


def test_beat_runs_the_purge() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["purge-stale-uploads"]
    assert entry["task"] == purge_stale_uploads_task.name
