"""Stored bytes. Blobs and upload sessions are made by the ingest services, never by hand:
a blob's hashes, format and stored file must all describe the same bytes."""

import json
import struct

import factory

from governance.ingest.models import Blob, UploadSession
from governance.ingest.services import ingest_chunks, start_upload
from tests.accounts.factories import UserFactory


def safetensors(extra: bytes = b"", *, metadata: dict[str, str] | None = None) -> bytes:
    """A tiny, well-formed safetensors file (one 4-byte U8 tensor)."""
    header = {"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}}
    if metadata:
        header["__metadata__"] = metadata
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + b"\x01\x02\x03" + extra[:1].ljust(1, b"\0")


class BlobFactory(factory.django.DjangoModelFactory):
    """Bytes stored through ``ingest_chunks``: real hashes, a detected format, a stored file,
    and a queued scan (as after any ingest; ``FileScanFactory`` finishes it).

    Pass ``content=`` for particular bytes; every other field follows from them.
    """

    class Meta:
        model = Blob

    content = factory.Sequence(lambda n: safetensors(metadata={"factory": str(n)}))

    @classmethod
    def _create(cls, model_class, content: bytes, **fields):
        if fields:
            raise TypeError(f"A blob's fields follow from its bytes; got {sorted(fields)}")
        return ingest_chunks([content])

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise TypeError("A blob exists only as stored bytes: use BlobFactory(), not .build()")


class UploadSessionFactory(factory.django.DjangoModelFactory):
    """An open resumable upload, started by ``start_upload`` (its spool file exists)."""

    class Meta:
        model = UploadSession

    created_by = factory.SubFactory(UserFactory)
    filename = factory.Sequence(lambda n: f"lora-{n}.safetensors")
    size = 4 * 1024 * 1024
    expected_hashes = factory.LazyFunction(dict)
    declared_format = ""
    version = None

    @classmethod
    def _create(cls, model_class, *, created_by, **fields):
        return start_upload(user=created_by, **fields)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise TypeError("An upload session has a spool file: use UploadSessionFactory()")
