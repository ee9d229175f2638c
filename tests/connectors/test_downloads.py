"""Hub files through ingest: verified against published hashes, resumed, bounded, signed in."""

import threading

import pytest

from governance.catalog.models import ModelVersion
from governance.connectors import services
from governance.connectors.client import CivitaiClient
from governance.connectors.errors import DownloadsBusy, HubError, HubLoginRequired
from governance.connectors.models import ConnectorJob
from governance.errors import HashMismatch
from governance.ingest.models import Blob
from tests.connectors.hub import DIORAMA, LOGIN_MODEL, LOGIN_VERSION, MERIDIAN

pytestmark = pytest.mark.django_db


def _imported(hub_client, model_id: int, version_id: int | None = None) -> ModelVersion:
    reference = f"civitai:{model_id}@{version_id}" if version_id else f"civitai:{model_id}"
    return services.import_model(reference=reference, client=hub_client).download_version


def test_every_file_of_a_version_is_stored_and_verified(fake_hub, hub_client) -> None:
    version = _imported(hub_client, MERIDIAN)
    job = ConnectorJob.objects.create(kind=ConnectorJob.Kind.DOWNLOAD)
    files = services.download_version_files(version=version, client=hub_client, job=job)
    assert len(files) == 2  # the SafeTensor and the GGUF, each by its own download URL
    for file in files:
        assert file.blob is not None
        assert file.blob.sha256 == file.sha256
        with open(_blob_path(file.blob), "rb") as fh:
            assert fh.read() == fake_hub.file_bytes(int(file.external_id))
    job.refresh_from_db()
    assert job.unit == "bytes" and job.done == job.total > 0
    # Downloading again is a no-op.
    before = len(fake_hub.requests)
    services.download_version_files(version=version, client=hub_client)
    assert len(fake_hub.requests) == before


def _blob_path(blob: Blob):
    from django.conf import settings

    return settings.MEDIA_ROOT / blob.storage_name


def test_a_cut_download_resumes_and_still_verifies(fake_hub, hub_client) -> None:
    version = _imported(hub_client, DIORAMA)
    fake_hub.faults.truncate_downloads, fake_hub.faults.truncate_at = 1, 30_000
    file = services.download_file(file=version.files.get(primary=True), client=hub_client)
    assert file.blob is not None
    assert [r.range for r in fake_hub.requests if r.path.startswith("/files/")] == [
        None,
        "bytes=30000-",
    ]


def test_wrong_bytes_store_nothing(fake_hub, hub_client) -> None:
    version = _imported(hub_client, DIORAMA)
    fake_hub.faults.wrong_bytes = True
    with pytest.raises(HashMismatch, match="do not match the published"):
        services.download_file(file=version.files.get(primary=True), client=hub_client)
    assert not Blob.objects.exists()
    assert not version.files.filter(blob__isnull=False).exists()


def test_login_required_uses_the_api_key(fake_hub, hub_client) -> None:
    version = _imported(hub_client, LOGIN_MODEL, LOGIN_VERSION)
    anonymous = CivitaiClient(base_url=fake_hub.url)
    with anonymous, pytest.raises(HubLoginRequired, match="set HUBGATE_CIVITAI_API_KEY"):
        services.download_file(file=version.files.get(primary=True), client=anonymous)
    assert not Blob.objects.exists()
    file = services.download_file(file=version.files.get(primary=True), client=hub_client)
    assert file.blob is not None


def test_a_file_without_published_hashes_is_not_downloaded(fake_hub, hub_client) -> None:
    version = _imported(hub_client, DIORAMA)
    file = version.files.get(primary=True)
    type(file).objects.filter(pk=file.pk).update(
        sha256="", autov1="", autov2="", autov3="", crc32="", blake3=""
    )
    file.refresh_from_db()
    with pytest.raises(HubError, match="published no hash"):
        services.download_file(file=file, client=hub_client)


def test_downloads_are_bounded_across_callers(fake_hub, settings) -> None:
    """Four callers at once with two slots: never more than two downloads at the hub."""
    settings.HUBGATE_CIVITAI_DOWNLOAD_CONCURRENCY = 2
    fake_hub.faults.delay = 0.3
    doc = fake_hub.model(MERIDIAN)
    version_id = doc["modelVersions"][0]["id"]
    busy: list[Exception] = []

    def fetch(wait: float) -> None:
        try:
            with (
                services.download_slot(wait_seconds=wait),
                CivitaiClient(base_url=fake_hub.url) as client,
            ):
                b"".join(client.stream_download(f"/api/download/models/{version_id}"))
        except DownloadsBusy as exc:
            busy.append(exc)

    threads = [threading.Thread(target=fetch, args=(30.0,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert busy == []
    assert fake_hub.max_concurrent_downloads == 2

    with (
        services.download_slot(),
        services.download_slot(),
        pytest.raises(DownloadsBusy, match="2 CivitAI download slots"),
        services.download_slot(),
    ):
        pass
    with services.download_slot():  # released again
        pass
