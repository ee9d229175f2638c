"""Scores follow what they read: an upload, a finished scan, an import, a license change."""

import json
import os
import struct

import pytest

from governance.catalog.models import VersionScore
from governance.catalog.services import import_civitai_model
from governance.hookspecs import Finding, hookimpl
from governance.ingest import services as ingest
from governance.licensing import services as licensing
from governance.scanning import services as scanning
from governance.scoring.services import refresh_version_scores
from tests.catalog.documents import civitai_document
from tests.catalog.factories import ModelVersionFactory

pytestmark = pytest.mark.django_db


def safetensors_bytes() -> bytes:
    header = json.dumps({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    return struct.pack("<Q", len(header)) + header + os.urandom(4)


class Critical:
    @hookimpl
    def hubgate_scan_file(self, file):
        return [Finding(code="t.rce", severity="critical", message="runs code", member="x.pkl")]


def security(version) -> VersionScore:
    return VersionScore.objects.get(version=version, plugin="security")


def test_an_upload_rescores_its_version(user, own_version, django_capture_on_commit_callbacks):
    data = safetensors_bytes()
    session = ingest.start_upload(
        user=user, filename="lora.safetensors", size=len(data), version=own_version
    )
    ingest.append_chunk(session=session, offset=0, chunks=[data])
    assert not VersionScore.objects.filter(version=own_version).exists()
    with django_capture_on_commit_callbacks(execute=True):
        ingest.complete_upload(session=session)
    assert security(own_version).value is not None


def test_a_finished_scan_rescores_the_versions_of_its_file(
    plugin, django_capture_on_commit_callbacks
) -> None:
    version = ModelVersionFactory()
    blob = ingest.ingest_chunks([safetensors_bytes()])  # stored; its scan queued, not run
    ingest.attach_blob(version=version, blob=blob, name="lora.safetensors")
    refresh_version_scores(version=version)
    before = security(version)
    plugin(Critical(), name="critical")
    scan = blob.scans.get()
    with django_capture_on_commit_callbacks(execute=True):
        scanning.run_scan(scan_id=scan.pk)
    after = security(version)
    assert after.computed_at > before.computed_at
    assert after.value < before.value, "the critical finding now weighs on the security score"


def test_an_import_rescores_after_its_commit(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        model = import_civitai_model(document=civitai_document()).model
    assert VersionScore.objects.filter(version__model=model).exists()


def test_changed_permission_flags_rescore_the_model(django_capture_on_commit_callbacks) -> None:
    version = ModelVersionFactory()
    with django_capture_on_commit_callbacks(execute=True):
        licensing.enqueue_reevaluation(scope={"model_ids": [version.model_id]}, reason="test")
    assert VersionScore.objects.filter(version=version).exists()
