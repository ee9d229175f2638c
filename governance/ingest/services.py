"""Receiving files: stream once, hash everything, verify, store by content, then scan."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q, Sum
from django.utils import timezone

from governance.accounts.models import Team, User
from governance.audit.services import record
from governance.catalog.hub_payload import HASH_LENGTHS
from governance.catalog.models import Hub, ModelFile, ModelVersion
from governance.catalog.selectors import can_change_model
from governance.errors import (
    Conflict,
    HashMismatch,
    PermissionDenied,
    QuotaExceeded,
    ValidationFailed,
)

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
            errors={
                name: [f"expected {v['expected']}, got {v['actual'] or 'none'}"]
                for name, v in wrong.items()
            },
        )


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
    *,
    version: ModelVersion,
    blob: Blob,
    name: str,
    primary: bool | None = None,
    file_type: str = ModelFile.FileType.MODEL,
    declared_format: str = "",
) -> ModelFile:
    """Make ``blob`` a file of ``version`` (the file known by the same SHA256, or a new one)."""
    with transaction.atomic():
        ModelVersion.objects.select_for_update().get(pk=version.pk)
        # Held until commit, so the purge of unreferenced blobs cannot delete it under us.
        if not Blob.objects.select_for_update().filter(pk=blob.pk).exists():
            raise Conflict("These bytes were purged meanwhile; ingest them again.")
        file = version.files.filter(sha256=blob.sha256).first()
        if file is None:
            is_primary = primary if primary is not None else not version.files.exists()
            if is_primary:
                version.files.filter(primary=True).update(primary=False)
            file = ModelFile(
                version=version,
                name=name,
                type=file_type,
                primary=is_primary,
                hub=Hub.UPLOAD,
                format=declared_format,
            )
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


# --- Upload quotas -------------------------------------------------------------------------

#: Sessions whose bytes are still arriving or being hashed: they hold disk and may yet become
#: a stored blob.
_UNFINISHED = (UploadSession.Status.OPEN, UploadSession.Status.COMPLETING)


def _inflight_bytes(sessions) -> int:
    live = sessions.filter(
        Q(status=UploadSession.Status.OPEN, expires_at__gt=timezone.now())
        | Q(status=UploadSession.Status.COMPLETING)
    )
    return live.aggregate(total=Sum("size"))["total"] or 0


def _stored_bytes(sessions) -> int:
    """Bytes of the distinct blobs these sessions stored, plus those being stored right now
    (so two concurrent completions cannot both pass the check)."""
    done = sessions.filter(status=UploadSession.Status.COMPLETE, blob__isnull=False)
    stored = Blob.objects.filter(pk__in=done.values("blob_id")).aggregate(total=Sum("size"))
    completing = sessions.filter(status=UploadSession.Status.COMPLETING)
    return (stored["total"] or 0) + (completing.aggregate(total=Sum("size"))["total"] or 0)


def _lock_owners(*, user: User, team_id: int | None) -> None:
    """Serialize quota checks per user and team (always user first, so no deadlock)."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
    if team_id is not None:
        Team.objects.select_for_update().filter(pk=team_id).exists()


def _check_quotas(
    *,
    user: User,
    team_id: int | None,
    size: int,
    inflight: bool,
    exclude: UploadSession | None = None,
) -> None:
    """Raise QuotaExceeded if ``size`` more bytes would pass a quota of ``user`` or the team.

    ``inflight``: also check the bytes in flight (opening an upload reserves its whole size).
    Call inside a transaction after ``_lock_owners``.
    """
    scopes = [
        (
            "user",
            settings.HUBGATE_UPLOAD_QUOTA_USER_INFLIGHT,
            settings.HUBGATE_UPLOAD_QUOTA_USER_STORED,
            UploadSession.objects.filter(created_by_id=user.pk),
        )
    ]
    if team_id is not None:
        scopes.append(
            (
                "team",
                settings.HUBGATE_UPLOAD_QUOTA_TEAM_INFLIGHT,
                settings.HUBGATE_UPLOAD_QUOTA_TEAM_STORED,
                UploadSession.objects.filter(team_id=team_id),
            )
        )
    for scope, inflight_limit, stored_limit, sessions in scopes:
        if exclude is not None:
            sessions = sessions.exclude(pk=exclude.pk)
        checks = [("stored", stored_limit, _stored_bytes)]
        if inflight:
            checks.insert(0, ("inflight", inflight_limit, _inflight_bytes))
        for kind, limit, measure in checks:
            if not limit:
                continue  # 0: unlimited
            used = measure(sessions)
            if used + size > limit:
                whose = "your" if scope == "user" else "the team's"
                what = "uploads in progress" if kind == "inflight" else "stored uploads"
                raise QuotaExceeded(
                    f"This upload of {size} bytes would take {whose} {what} past the "
                    f"{scope}_{kind} quota: {used} of {limit} bytes are used.",
                    quota=f"{scope}_{kind}",
                    used=used,
                    requested=size,
                    limit=limit,
                )


def start_upload(
    *,
    user: User,
    filename: str,
    size: int,
    expected_hashes: Mapping[str, str] | None = None,
    version: ModelVersion | None = None,
    declared_format: str = "",
) -> UploadSession:
    """Open a resumable upload of ``size`` bytes (to be attached to ``version`` if given).

    Refused with QuotaExceeded when the upload would pass the user's or the owning team's
    quota of bytes in flight or stored; nothing is created then.
    """
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
    team_id = version.model.owning_team_id if version is not None else None
    with transaction.atomic():
        _lock_owners(user=user, team_id=team_id)
        _check_quotas(user=user, team_id=team_id, size=size, inflight=True)
        session = UploadSession.objects.create(
            created_by=user,
            filename=filename[:255],
            size=size,
            expected_hashes=normalise_expected(expected_hashes),
            version=version,
            declared_format=declared_format,
            team_id=team_id,
            expires_at=timezone.now() + timedelta(hours=settings.HUBGATE_UPLOAD_TTL_HOURS),
        )
    _spool_of(session).touch()
    return session


def append_chunk(*, session: UploadSession, offset: int, chunks: Iterable[bytes]) -> int:
    """Append bytes at ``offset``; a client retrying a chunk learns the real offset (409).

    Refused with QuotaExceeded, before any byte is written, once the finished upload could
    no longer be stored within the stored-bytes quota (it filled up since the upload opened).
    Early warning only, so parallel chunks are not serialized: completion checks for good.
    """
    with transaction.atomic():
        session = UploadSession.objects.select_for_update().get(pk=session.pk)
        if session.status != UploadSession.Status.OPEN:
            raise Conflict(f"This upload is {session.status}; no more bytes are accepted.")
        if session.expires_at <= timezone.now():
            raise Conflict("This upload has expired; start a new one.")
        if offset != session.offset:
            raise Conflict(f"Upload-Offset {offset} does not match the server's {session.offset}.")
        _check_quotas(
            user=session.created_by,
            team_id=session.team_id,
            size=session.size,
            inflight=False,
            exclude=session,
        )
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
    so a concurrent second completion is refused instead of hashing the file twice. Refused
    with QuotaExceeded (the upload stays open, its bytes kept) when storing it would pass a
    stored-bytes quota.
    """
    with transaction.atomic():
        _lock_owners(user=session.created_by, team_id=session.team_id)
        session = UploadSession.objects.select_for_update().get(pk=session.pk)
        if session.status == UploadSession.Status.COMPLETE:
            return session
        if session.status != UploadSession.Status.OPEN:
            raise Conflict(f"This upload is {session.status}.")
        if session.offset != session.size:
            raise Conflict(f"Only {session.offset} of {session.size} bytes have arrived.")
        _check_quotas(
            user=session.created_by,
            team_id=session.team_id,
            size=session.size,
            inflight=False,
            exclude=session,
        )
        session.status = UploadSession.Status.COMPLETING
        session.save(update_fields=["status", "updated_at"])
    path = _spool_of(session)
    try:
        session = _store_session(session, path)
    except Exception as exc:
        session.status = UploadSession.Status.FAILED
        session.error = getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}"
        session.save(update_fields=["status", "error", "updated_at"])
        raise
    finally:
        path.unlink(missing_ok=True)
    return session


def _store_session(session: UploadSession, path: Path) -> UploadSession:
    # Identical bytes may already be a blob that the purge is deleting right now: the blob
    # row is locked and, if it vanished, the spool is ingested again as new bytes.
    for _attempt in range(2):
        with open(path, "rb") as fh:
            blob = ingest_chunks(
                read_chunks(fh),
                expected_hashes=session.expected_hashes,
                expected_size=session.size,
            )
        with transaction.atomic():
            if not Blob.objects.select_for_update().filter(pk=blob.pk).exists():
                continue
            if session.version_id:
                attach_blob(
                    version=session.version,
                    blob=blob,
                    name=session.filename,
                    declared_format=session.declared_format,
                )
            session.status, session.blob = UploadSession.Status.COMPLETE, blob
            session.save(update_fields=["status", "blob", "updated_at"])
            return session
    raise Conflict("The stored bytes were deleted while this upload completed; upload it again.")


def abort_upload(*, session: UploadSession) -> None:
    with transaction.atomic():
        session = UploadSession.objects.select_for_update().get(pk=session.pk)
        if session.status == UploadSession.Status.OPEN:
            session.status = UploadSession.Status.ABORTED
            session.save(update_fields=["status", "updated_at"])
    _spool_of(session).unlink(missing_ok=True)


# --- Purging what nothing needs any more ---------------------------------------------------

#: Scans that still read a blob's bytes (names of scanning's FileScan statuses: ingest sits
#: below scanning and must not import it).
_SCANS_IN_PROGRESS = ("queued", "running")
_SPOOL_PREFIXES = ("session-", "upload-", "scan-")
#: The audit entry lists at most this many purged blobs and sessions (the counts are exact).
_AUDIT_LIST_LIMIT = 200


@dataclass
class PurgeReport:
    """What one purge run deleted."""

    sessions: int = 0
    session_bytes: int = 0
    blobs: int = 0
    blob_bytes: int = 0
    spool_files: int = 0
    spool_bytes: int = 0
    session_ids: list[str] = field(default_factory=list)
    blob_sha256s: list[str] = field(default_factory=list)

    @property
    def purged_anything(self) -> bool:
        return bool(self.sessions or self.blobs or self.spool_files)


def _stale_sessions(now, cutoff):
    """Expired open uploads, and failed, aborted or stuck completing ones past the grace."""
    S = UploadSession.Status
    return Q(status=S.OPEN, expires_at__lte=now) | Q(
        status__in=[S.FAILED, S.ABORTED, S.COMPLETING], updated_at__lt=cutoff
    )


def _unreferenced_blobs(cutoff):
    """Blobs older than the grace that no file, unfinished upload or running scan needs."""
    return (
        Blob.objects.filter(created_at__lt=cutoff)
        .exclude(pk__in=ModelFile.objects.filter(blob__isnull=False).values("blob_id"))
        .exclude(
            pk__in=UploadSession.objects.filter(status__in=_UNFINISHED, blob__isnull=False).values(
                "blob_id"
            )
        )
        .exclude(scans__status__in=_SCANS_IN_PROGRESS)
    )


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _purge_session(pk, *, now, cutoff, report: PurgeReport) -> None:
    with transaction.atomic():
        # Locked and checked again: an append or completion may have moved it on meanwhile.
        session = (
            UploadSession.objects.select_for_update()
            .filter(_stale_sessions(now, cutoff), pk=pk)
            .first()
        )
        if session is None:
            return
        spool = _spool_of(session)
        size = _file_size(spool)
        session.delete()
        spool.unlink(missing_ok=True)
    report.sessions += 1
    report.session_bytes += size
    report.session_ids.append(str(pk))


def _purge_blob(pk, *, cutoff, report: PurgeReport) -> None:
    try:
        with transaction.atomic():
            # The row lock serializes with completing uploads (which lock the blob before
            # attaching it) and with queue_scan (which locks it too). The references are
            # checked again once it is held, in a statement of their own (so they see what
            # the lock waited for); ModelFile's PROTECT refuses a file attached regardless.
            blob = Blob.objects.select_for_update().filter(pk=pk).first()
            if blob is None or not _unreferenced_blobs(cutoff).filter(pk=pk).exists():
                return
            name, size, sha256 = blob.storage_name, blob.size, blob.sha256
            blob.delete()
            # Inside the transaction, after the row is gone: a file deleted after commit
            # could be the one a concurrent upload of the same bytes has just stored.
            storage.delete_blob(name)
    except ProtectedError:
        return
    report.blobs += 1
    report.blob_bytes += size
    report.blob_sha256s.append(sha256)


def _purge_spool_files(*, cutoff, report: PurgeReport) -> None:
    """Spool files no upload owns any more (a crashed process left them) past the grace."""
    unfinished = {
        f"session-{pk}"
        for pk in UploadSession.objects.filter(status__in=_UNFINISHED).values_list("pk", flat=True)
    }
    oldest = cutoff.timestamp()
    for path in storage.spool_dir().iterdir():
        if not path.name.startswith(_SPOOL_PREFIXES) or path.name in unfinished:
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        if not path.is_file() or stat.st_mtime >= oldest:
            continue
        path.unlink(missing_ok=True)
        report.spool_files += 1
        report.spool_bytes += stat.st_size


def purge_stale_uploads(*, now: datetime | None = None) -> PurgeReport:
    """Delete expired or abandoned uploads (with their spool files), and blobs attached to
    nothing for longer than HUBGATE_UPLOAD_PURGE_GRACE_HOURS (beat job).

    A blob is kept while a model file, an unfinished upload or a queued or running scan
    refers to it. One audit entry per run that deleted anything, with counts, bytes and
    the purged ids: a per-object entry would flood the log with housekeeping.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.HUBGATE_UPLOAD_PURGE_GRACE_HOURS)
    report = PurgeReport()
    stale = UploadSession.objects.filter(_stale_sessions(now, cutoff))
    for pk in list(stale.values_list("pk", flat=True)):
        _purge_session(pk, now=now, cutoff=cutoff, report=report)
    for pk in list(_unreferenced_blobs(cutoff).values_list("pk", flat=True)):
        _purge_blob(pk, cutoff=cutoff, report=report)
    _purge_spool_files(cutoff=cutoff, report=report)
    if report.purged_anything:
        after = asdict(report)
        for key in ("session_ids", "blob_sha256s"):
            after[f"{key}_omitted"] = max(0, len(after[key]) - _AUDIT_LIST_LIMIT)
            after[key] = after[key][:_AUDIT_LIST_LIMIT]
        after["grace_hours"] = settings.HUBGATE_UPLOAD_PURGE_GRACE_HOURS
        record(
            action="upload.purged",
            object_type="ingest.purge",
            object_id=now.strftime("%Y%m%dT%H%M%SZ"),
            object_repr=f"{report.sessions} uploads, {report.blobs} blobs, "
            f"{report.spool_files} spool files",
            after=after,
        )
    return report
