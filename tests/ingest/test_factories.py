import hashlib

import pytest

from governance.hookspecs import FileFormat
from governance.ingest import storage
from governance.scanning.models import FileScan
from tests.catalog.factories import ModelFactory, ModelVersionFactory
from tests.ingest.factories import BlobFactory, UploadSessionFactory, safetensors

pytestmark = pytest.mark.django_db


def test_a_blob_is_stored_bytes_whose_hashes_describe_them():
    content = safetensors(metadata={"note": "hello"})
    blob = BlobFactory(content=content)
    blob.full_clean()
    assert blob.sha256 == hashlib.sha256(content).hexdigest().upper()
    assert blob.size == len(content)
    assert blob.format == FileFormat.SAFETENSORS
    with storage.open_blob(blob.storage_name) as fh:
        assert fh.read() == content
    assert blob.scans.get().status == FileScan.Status.QUEUED  # ingest queued its scan


def test_every_blob_has_bytes_of_its_own_and_the_same_bytes_are_one_blob():
    first, second = BlobFactory(), BlobFactory()
    assert first.sha256 != second.sha256
    assert BlobFactory(content=safetensors(metadata={"factory": "x"})) == BlobFactory(
        content=safetensors(metadata={"factory": "x"})
    )


def test_a_blob_refuses_fields_that_would_contradict_its_bytes():
    with pytest.raises(TypeError):
        BlobFactory(sha256="0" * 64)
    with pytest.raises(TypeError):
        BlobFactory.build()


def test_an_upload_session_is_open_with_its_spool_file():
    session = UploadSessionFactory()
    session.full_clean()
    assert session.status == "open" and session.offset == 0 < session.size
    assert (storage.spool_dir() / f"session-{session.pk}").exists()


def test_an_upload_session_for_a_version_is_started_by_someone_who_may_add_files():
    version = ModelVersionFactory(model=ModelFactory())
    session = UploadSessionFactory(version=version, created_by__is_staff=True)
    assert session.version == version
