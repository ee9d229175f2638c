"""Receiving files: stream once, hash everything, verify, store by content, then scan."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from governance.catalog.hub_payload import HASH_LENGTHS
from governance.catalog.models import Hub, ModelFile, ModelVersion
from governance.catalog.selectors import can_change_model
from governance.errors import Conflict, HashMismatch, PermissionDenied, ValidationFailed

from . import formats, storage
from .hashing import CHUNK_SIZE, Hashes, MultiHasher
from .models import Blob, UploadSession
from .signals import blob_stored, version_files_changed


def read_chunks(stream: BinaryIO, size: int = CHUNK_SIZE) -> Iterable[bytes]:
    while chunk := stream.read(size):
        yield chunk


def normalise_expected(expected: Mapping[str, str] | None) -> dict[str, str]:
    """Published hashes keyed by CivitAI's names, validated and upper-cased."""
    by_lower = {name.lower(): name for name in HASH_LENGTHS}
    clean: dict[str, str] = {}
    for key, value in (expected or {}).items():
        name = by_lower.get(str(key).lower())
        if name is None or not value:
            continue
        value = str(value).strip().upper()
        if len(value) != HASH_LENGTHS[name] or any(c not in "0123456789ABCDEF" for c in value):
            raise ValidationFailed(f"{name} must be {HASH_LENGTHS[name]} hexadecimal digits")
        clean[name] = value
    return clean


def verify_hashes(hashes: Hashes, expected: Mapping[str, str]) -> None:
    """Raise HashMismatch naming every published hash the bytes do not match."""
    actual = hashes.as_civitai()
    wrong = {
        name: {"expected": value, "actual": actual.get(name, "")}
        for name, value in expected.items()
        if actual.get(name, "") != value
    }
    if wrong:
        names = ", ".join(sorted(wrong))
        raise HashMismatch(
            f"The received bytes do not match the published {names}; nothing was stored.",
            errors={name: [f"expected {v['expected']}, got {v['actual'] or 'none'}"]
                    for name, v in wrong.items()},
        )  # fmt: skip


def ingest_chunks(
    chunks: Iterable[bytes],
    *,
    expected_hashes: Mapping[str, str] | None = None,
    expected_size: int | None = None,
) -> Blob:
    """Store a stream of bytes as a blob, hashing it in the same pass.

    The bytes are spooled to local disk while every hash is computed; if they do not match
    the published hashes or size, the spool is deleted and nothing is stored. The same bytes
    ingested twice are one blob. A new blob is queued for scanning when the transaction
    commits.
    """
    expected = normalise_expected(expected_hashes)
    spool = storage.new_spool_file()
    try:
        with open(spool, "wb", buffering=0) as out:
            hasher = MultiHasher(sink=out.write)
            try:
                for chunk in chunks:
                    hasher.update(chunk)
            finally:
                hashes = hasher.result()
        return _finish(spool, hashes, expected, expected_size)
    finally:
        spool.unlink(missing_ok=True)


def ingest_path(path: Path, **kwargs) -> Blob:
    """Ingest a local file (one read pass)."""
    with open(path, "rb") as fh:
        return ingest_chunks(read_chunks(fh), **kwargs)


def _finish(
    spool: Path, hashes: Hashes, expected: Mapping[str, str], expected_size: int | None
) -> Blob:
    if expected_size is not None and hashes.size != expected_size:
        raise HashMismatch(
            f"Expected {expected_size} bytes but received {hashes.size}; nothing was stored."
        )
    verify_hashes(hashes, expected)
    existing = Blob.objects.filter(sha256=hashes.sha256).first()
    if existing is not None:
        return existing
    file_format = formats.identify(spool)
    name = storage.store_spooled(spool, hashes.sha256)
    try:
        with transaction.atomic():
            blob = Blob.objects.create(
                sha256=hashes.sha256,
                size=hashes.size,
                autov1=hashes.autov1,
                autov3=hashes.autov3,
                crc32=hashes.crc32,
                blake3=hashes.blake3,
                format=file_format,
                storage_name=name,
            )
            blob_stored.send(Blob, blob=blob)
    except IntegrityError:
        # The same bytes arrived concurrently and the other request stored them first.
        return Blob.objects.get(sha256=hashes.sha256)
    return blob


def attach_blob(
    *, version: ModelVersion, blob: Blob, name: str, primary: bool | None = None,
    file_type: str = ModelFile.FileType.MODEL, declared_format: str = "",
) -> ModelFile:  # fmt: skip
    """Make ``blob`` a file of ``version`` (the file known by the same SHA256, or a new one)."""
    with transaction.atomic():
        ModelVersion.objects.select_for_update().get(pk=version.pk)
        file = version.files.filter(sha256=blob.sha256).first()
        if file is None:
            is_primary = primary if primary is not None else not version.files.exists()
            if is_primary:
                version.files.filter(primary=True).update(primary=False)
            file = ModelFile(
                version=version, name=name, type=file_type, primary=is_primary, hub=Hub.UPLOAD,
                format=declared_format,
            )  # fmt: skip
        elif file.blob_id and file.blob_id != blob.pk:
            raise Conflict(f"{file.name} is already stored with other bytes")
        changed = file.blob_id != blob.pk
        file.blob = blob
        file.size_kb = blob.size / 1024
        file.sha256, file.autov1, file.autov2 = blob.sha256, blob.autov1, blob.autov2
        file.autov3, file.crc32, file.blake3 = blob.autov3, blob.crc32, blob.blake3
        file.save()
        if changed:
            transaction.on_commit(lambda: version_files_changed.send(ModelVersion, version=version))
        return file


def ingest_for_file(*, file: ModelFile, chunks: Iterable[bytes]) -> ModelFile:
    """Ingest the bytes of a file the hub published, verified against its published hashes."""
    blob = ingest_chunks(chunks, expected_hashes=file.hashes)
    return attach_blob(version=file.version, blob=blob, name=file.name)


# --- Resumable uploads ---------------------------------------------------------------------


def _spool_of(session: UploadSession) -> Path:
    return storage.spool_dir() / f"session-{session.pk}"


def start_upload(
    *, user, filename: str, size: int, expected_hashes: Mapping[str, str] | None = None,
    version: ModelVersion | None = None, declared_format: str = "",
) -> UploadSession:  # fmt: skip
    """Open a resumable upload of ``size`` bytes (to be attached to ``version`` if given)."""
    if version is not None and not can_change_model(user, version.model):
        raise PermissionDenied("Only the owning team or an administrator may add files here.")
    if size <= 0 or size > settings.HUBGATE_MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            f"size must be between 1 and {settings.HUBGATE_MAX_UPLOAD_BYTES} bytes",
            errors={"size": ["out of range"]},
        )
    filename = os.path.basename(filename.replace("\\", "/")).strip()
    if not filename or filename in {".", ".."}:
        raise ValidationFailed("filename is empty", errors={"filename": ["required"]})
    session = UploadSession.objects.create(
        created_by=user, filename=filename[:255], size=size,
        expected_hashes=normalise_expected(expected_hashes), version=version,
        declared_format=declared_format,
        expires_at=timezone.now() + timedelta(hours=settings.HUBGATE_UPLOAD_TTL_HOURS),
    )  # fmt: skip
    _spool_of(session).touch()
    return session


def append_chunk(*, session: UploadSession, offset: int, chunks: Iterable[bytes]) -> int:
    """Append bytes at ``offset``; a client retrying a chunk learns the real offset (409)."""
    with transaction.atomic():
        session = UploadSession.objects.select_for_update().get(pk=session.pk)
        if session.status != UploadSession.Status.OPEN:
            raise Conflict(f"This upload is {session.status}; no more bytes are accepted.")
        if session.expires_at <= timezone.now():
            raise Conflict("This upload has expired; start a new one.")
        if offset != session.offset:
            raise Conflict(f"Upload-Offset {offset} does not match the server's {session.offset}.")
        path = _spool_of(session)
        written = 0
        with open(path, "r+b") as fh:
            fh.truncate(session.offset)  # drop what a failed earlier request left behind
            fh.seek(session.offset)
            for chunk in chunks:
                written += len(chunk)
                if session.offset + written > session.size:
                    raise ValidationFailed("More bytes than the declared size.")
                fh.write(chunk)
        session.offset += written
        session.save(update_fields=["offset", "updated_at"])
        return session.offset


def complete_upload(*, session: UploadSession) -> UploadSession:
    """Hash, verify and store a fully received upload; attach it to its version if any.

    Idempotent: completing a completed upload returns it unchanged. The long hashing pass
    runs outside any database transaction; the session is marked ``completing`` meanwhile,
    so a concurrent second completion is refused instead of hashing the file twice.
    """
    with transaction.atomic():
        session = UploadSession.objects.select_for_update().get(pk=session.pk)
        if session.status == UploadSession.Status.COMPLETE:
            return session
        if session.status != UploadSession.Status.OPEN:
            raise Conflict(f"This upload is {session.status}.")
        if session.offset != session.size:
            raise Conflict(f"Only {session.offset} of {session.size} bytes have arrived.")
        session.status = UploadSession.Status.COMPLETING
        session.save(update_fields=["status", "updated_at"])
    path = _spool_of(session)
    try:
        with open(path, "rb") as fh:
            blob = ingest_chunks(
                read_chunks(fh), expected_hashes=session.expected_hashes,
                expected_size=session.size,
            )  # fmt: skip
        with transaction.atomic():
            if session.version_id:
                attach_blob(
                    version=session.version, blob=blob, name=session.filename,
                    declared_format=session.declared_format,
                )  # fmt: skip
            session.status, session.blob = UploadSession.Status.COMPLETE, blob
            session.save(update_fields=["status", "blob", "updated_at"])
    except Exception as exc:
        session.status = UploadSession.Status.FAILED
        session.error = getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}"
        session.save(update_fields=["status", "error", "updated_at"])
        raise
    finally:
        path.unlink(missing_ok=True)
    return session


def abort_upload(*, session: UploadSession) -> None:
    with transaction.atomic():
        session = UploadSession.objects.select_for_update().get(pk=session.pk)
        if session.status == UploadSession.Status.OPEN:
            session.status = UploadSession.Status.ABORTED
            session.save(update_fields=["status", "updated_at"])
    _spool_of(session).unlink(missing_ok=True)
