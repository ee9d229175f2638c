"""Ingest: one pass, verified against published hashes, stored once, nothing half-stored."""

import hashlib
import os
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from governance.errors import Conflict, HashMismatch, PermissionDenied, ValidationFailed
from governance.ingest import services, storage
from governance.ingest.models import Blob, UploadSession
from governance.scanning.models import FileScan
from tests.catalog.factories import ModelFileFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db


def chunks_of(data: bytes, size: int = 1 << 20):
    return (data[i : i + size] for i in range(0, len(data), size))


def stored_files() -> set[str]:
    root = Path(default_storage.location)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_bytes_are_stored_by_content_once(django_capture_on_commit_callbacks) -> None:
    data = os.urandom(3 * 1024 * 1024)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.ingest_chunks(chunks_of(data))
    second = services.ingest_chunks(chunks_of(data, 4096))
    assert first.pk == second.pk and Blob.objects.count() == 1
    assert first.sha256 == hashlib.sha256(data).hexdigest().upper()
    assert first.storage_name == storage.blob_name(first.sha256)
    with storage.open_blob(first.storage_name) as fh:
        assert fh.read() == data
    assert not list(storage.spool_dir().iterdir()), "spool files left behind"
    assert FileScan.objects.filter(blob=first).count() == 1


def test_a_hash_mismatch_keeps_nothing() -> None:
    before = stored_files()
    with pytest.raises(HashMismatch, match="SHA256") as caught:
        services.ingest_chunks(chunks_of(b"real bytes"), expected_hashes={"sha256": "AB" * 32})
    assert "SHA256" in caught.value.errors
    assert Blob.objects.count() == 0
    assert stored_files() == before


def test_a_truncated_download_is_refused() -> None:
    with pytest.raises(HashMismatch, match="Expected 100 bytes but received 10"):
        services.ingest_chunks(chunks_of(b"0123456789"), expected_size=100)
    assert Blob.objects.count() == 0


def test_a_malformed_published_hash_is_a_validation_error() -> None:
    with pytest.raises(ValidationFailed, match="AutoV2 must be 10"):
        services.ingest_chunks(chunks_of(b"x"), expected_hashes={"AutoV2": "nothex"})


def test_a_hub_file_is_verified_against_all_its_published_hashes() -> None:
    data = os.urandom(2 * 1024 * 1024)
    good = services.ingest_chunks(chunks_of(data))
    file = ModelFileFactory(sha256=good.sha256, autov2=good.autov2, crc32=good.crc32)
    attached = services.ingest_for_file(file=file, chunks=chunks_of(data))
    assert attached.pk == file.pk and attached.blob_id == good.pk
    assert attached.blake3 == good.blake3
    liar = ModelFileFactory(crc32="00000000")
    liar.sha256, liar.autov2 = good.sha256, good.autov2
    liar.save()
    with pytest.raises(HashMismatch, match="CRC32"):
        services.ingest_for_file(file=liar, chunks=chunks_of(data))
    liar.refresh_from_db()
    assert liar.blob_id is None


def test_attaching_to_a_version_creates_a_file_with_every_hash() -> None:
    version = ModelVersionFactory()
    blob = services.ingest_chunks(chunks_of(b"weights" * 1000))
    file = services.attach_blob(version=version, blob=blob, name="w.bin")
    assert file.primary and file.hub == "upload"
    assert file.hashes["SHA256"] == blob.sha256 and file.hashes["AutoV2"] == blob.sha256[:10]
    assert services.attach_blob(version=version, blob=blob, name="again.bin").pk == file.pk


def test_resumable_upload_round_trip(user, own_version, django_capture_on_commit_callbacks):
    data = os.urandom(1_500_000)
    version = own_version
    session = services.start_upload(
        user=user,
        filename="../../etc/lora.safetensors",
        size=len(data),
        version=version,
        expected_hashes={"SHA256": hashlib.sha256(data).hexdigest()},
    )
    assert session.filename == "lora.safetensors"
    assert services.append_chunk(session=session, offset=0, chunks=[data[:1_000_000]]) == 1_000_000
    with pytest.raises(Conflict, match="does not match the server's 1000000"):
        services.append_chunk(session=session, offset=0, chunks=[data[:10]])
    services.append_chunk(session=session, offset=1_000_000, chunks=[data[1_000_000:]])
    with django_capture_on_commit_callbacks(execute=True):
        done = services.complete_upload(session=session)
    assert done.status == UploadSession.Status.COMPLETE
    assert done.blob.size == len(data)
    assert version.files.get().blob_id == done.blob_id
    assert services.complete_upload(session=done).pk == done.pk  # idempotent


def test_completing_too_early_is_a_conflict(user) -> None:
    session = services.start_upload(user=user, filename="a.bin", size=10)
    services.append_chunk(session=session, offset=0, chunks=[b"12345"])
    with pytest.raises(Conflict, match="Only 5 of 10 bytes"):
        services.complete_upload(session=session)


def test_more_bytes_than_declared_are_refused(user) -> None:
    session = services.start_upload(user=user, filename="a.bin", size=4)
    with pytest.raises(ValidationFailed, match="More bytes"):
        services.append_chunk(session=session, offset=0, chunks=[b"123456"])
    session.refresh_from_db()
    assert session.offset == 0


def test_an_upload_that_fails_verification_is_marked_failed(user) -> None:
    session = services.start_upload(
        user=user, filename="a.bin", size=3, expected_hashes={"SHA256": "00" * 32}
    )
    services.append_chunk(session=session, offset=0, chunks=[b"abc"])
    with pytest.raises(HashMismatch):
        services.complete_upload(session=session)
    session.refresh_from_db()
    assert session.status == UploadSession.Status.FAILED and "SHA256" in session.error
    assert Blob.objects.count() == 0


def test_abort_deletes_the_partial_upload(user) -> None:
    session = services.start_upload(user=user, filename="a.bin", size=10)
    services.append_chunk(session=session, offset=0, chunks=[b"12345"])
    services.abort_upload(session=session)
    session.refresh_from_db()
    assert session.status == UploadSession.Status.ABORTED
    assert not any(p.name.endswith(str(session.pk)) for p in storage.spool_dir().iterdir())


def test_only_the_owning_team_may_upload_to_a_version(user) -> None:
    with pytest.raises(PermissionDenied):
        services.start_upload(user=user, filename="a.bin", size=1, version=ModelVersionFactory())
