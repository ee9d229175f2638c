"""Importing from CivitAI, keeping tracked models in sync, downloading their files.

Every model document goes through the catalog's one mapping,
:func:`governance.catalog.services.import_civitai_model` (a page of them:
``import_civitai_models``): each document validated whole before anything is written, then
written in one transaction. So a hostile or broken hub (malformed JSON, missing fields, wrong
types) makes that model's import fail with a message naming the field, and leaves the catalog
as it was. Listings and syncs write a whole hub page at a time, with a few queries per table
rather than per row. Downloads
go through the ingest pipeline, which verifies the hub's published hashes before anything is
stored.

Long operations run as :class:`ConnectorJob`\\s: a Celery task does the work and writes its
progress (``done`` of ``total``) outside the per-model transactions, so the admin and the
API show it while it runs.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from governance.accounts.models import Team, User
from governance.audit.services import record
from governance.catalog.models import Hub, Model, ModelFile, ModelMode, ModelVersion
from governance.catalog.references import HASH, VERSION, Reference, parse_reference
from governance.catalog.services import import_civitai_model, import_civitai_models
from governance.errors import HubgateError, InvalidHubPayload, InvalidReference
from governance.events.services import emit
from governance.ingest.services import ingest_for_file

from .client import CivitaiClient, RetryPolicy
from .errors import DownloadsBusy, HubError, HubNotFound, HubRateLimited, HubUnavailable
from .models import ConnectorJob, HubConnection, TrackedModel

logger = logging.getLogger(__name__)

#: At most this many error entries are kept on a job (the count is always exact).
MAX_JOB_ERRORS = 100
#: A download slot is released after this long even if its holder died without releasing it.
SLOT_LEASE_SECONDS = 6 * 60 * 60


def hub_client(**overrides: Any) -> CivitaiClient:
    """A client for the configured CivitAI (HUBGATE_CIVITAI_* settings)."""
    options: dict[str, Any] = {
        "base_url": settings.HUBGATE_CIVITAI_BASE_URL,
        "api_key": settings.HUBGATE_CIVITAI_API_KEY,
        "timeout": settings.HUBGATE_CIVITAI_TIMEOUT_SECONDS,
        "retry": RetryPolicy(attempts=settings.HUBGATE_CIVITAI_ATTEMPTS),
        "max_pages": settings.HUBGATE_CIVITAI_MAX_PAGES,
    }
    options.update(overrides)
    return CivitaiClient(**options)


@contextlib.contextmanager
def _client(client: CivitaiClient | None) -> Iterator[CivitaiClient]:
    if client is not None:
        yield client
        return
    with hub_client() as own:
        yield own


# --- health ----------------------------------------------------------------------------------


def _connection() -> HubConnection:
    connection, _ = HubConnection.objects.get_or_create(
        hub=Hub.CIVITAI, defaults={"base_url": settings.HUBGATE_CIVITAI_BASE_URL}
    )
    return connection


def note_hub_outcome(*, error: Exception | None = None, latency_ms: int | None = None) -> None:
    """Record how the last call to the hub went, for the admin's connection status."""
    now = timezone.now()
    _connection()
    fields: dict[str, Any] = {
        "base_url": settings.HUBGATE_CIVITAI_BASE_URL,
        "api_key_configured": bool(settings.HUBGATE_CIVITAI_API_KEY),
    }
    rows = HubConnection.objects.filter(hub=Hub.CIVITAI)
    if error is None:
        fields.update(
            status=HubConnection.Status.OK, consecutive_failures=0, last_success_at=now, detail="OK"
        )
        if latency_ms is not None:
            fields.update(latency_ms=latency_ms, last_checked_at=now)
        rows.update(**fields)
        return
    connection = rows.get()
    failures = connection.consecutive_failures + 1
    down = isinstance(error, HubUnavailable) and not isinstance(error, HubRateLimited)
    fields.update(
        consecutive_failures=failures,
        last_failure_at=now,
        detail=str(getattr(error, "detail", error))[:2000],
        status=HubConnection.Status.DOWN
        if down and failures >= 3
        else HubConnection.Status.DEGRADED,
    )
    if isinstance(error, HubRateLimited):
        fields["rate_limited_until"] = now + timedelta(seconds=error.retry_after)
    if latency_ms is not None:
        fields.update(latency_ms=latency_ms, last_checked_at=now)
    rows.update(**fields)


def check_health(*, client: CivitaiClient | None = None) -> HubConnection:
    """Ask the hub one cheap question now and store the answer."""
    with _client(client) as hub:
        health = hub.health()
    if health.ok:
        note_hub_outcome(latency_ms=health.latency_ms)
    else:
        note_hub_outcome(error=HubUnavailable(health.detail), latency_ms=health.latency_ms)
    return _connection()


@contextlib.contextmanager
def _watched() -> Iterator[None]:
    """Record the outcome of a block of hub calls: a hub error marks the connection."""
    try:
        yield
    except (HubError, InvalidHubPayload) as exc:
        if not isinstance(exc, HubNotFound):
            note_hub_outcome(error=exc)
        raise
    note_hub_outcome()


# --- jobs ------------------------------------------------------------------------------------


def start_job(
    *,
    kind: str,
    reference: str = "",
    options: Mapping[str, Any] | None = None,
    actor: User | None = None,
    owning_team: Team | None = None,
) -> ConnectorJob:
    """Create a job and run it in a Celery task once the transaction commits."""
    if kind == ConnectorJob.Kind.IMPORT:
        _hub_reference(reference)  # refuse a bad reference now, not in the worker
    job = ConnectorJob.objects.create(
        kind=kind,
        reference=reference,
        options=dict(options or {}),
        created_by=actor if actor is not None and actor.is_authenticated else None,
        owning_team=owning_team,
        unit="bytes" if kind == ConnectorJob.Kind.DOWNLOAD else "models",
    )

    def enqueue() -> None:
        from .tasks import run_job_task

        run_job_task.delay(job.pk)

    transaction.on_commit(enqueue, robust=True)
    return job


def _update(job: ConnectorJob | None, **fields: Any) -> None:
    """Write progress at once, outside any per-model transaction, so it shows while running."""
    if job is None:
        return
    for name, value in fields.items():
        setattr(job, name, value)
    ConnectorJob.objects.filter(pk=job.pk).update(**fields, updated_at=timezone.now())


def _job_error(job: ConnectorJob | None, item: str, error: Exception) -> None:
    if job is None:
        return
    message = str(getattr(error, "detail", None) or error)
    errors = list(job.errors)
    if len(errors) < MAX_JOB_ERRORS:
        errors.append({"item": item, "error": message[:1000]})
    _update(job, failed=job.failed + 1, errors=errors)


def run_job(*, job_id: int) -> ConnectorJob:
    """Run a queued job to its end (the Celery task's body). Transient hub trouble (rate
    limit, outage, busy download slots) is raised for the task to retry later."""
    job = ConnectorJob.objects.select_related("created_by", "owning_team").get(pk=job_id)
    if job.finished:
        return job
    _update(job, status=ConnectorJob.Status.RUNNING, started_at=job.started_at or timezone.now())
    try:
        message = _run(job)
    except (HubRateLimited, HubUnavailable, DownloadsBusy) as exc:
        _update(job, status=ConnectorJob.Status.QUEUED, message=f"Waiting to retry: {exc.detail}")
        raise
    except HubgateError as exc:
        _update(
            job, status=ConnectorJob.Status.FAILED, message=exc.detail, finished_at=timezone.now()
        )
        return job
    except Exception as exc:
        logger.exception("connector job %s failed", job.pk)
        _update(
            job,
            status=ConnectorJob.Status.FAILED,
            finished_at=timezone.now(),
            message=f"Unexpected error: {type(exc).__name__}: {exc}"[:2000],
        )
        raise
    status = ConnectorJob.Status.PARTIAL if job.failed else ConnectorJob.Status.SUCCEEDED
    _update(job, status=status, message=message, finished_at=timezone.now())
    return job


def fail_job(*, job_id: int, reason: str) -> None:
    """Give a job up (its task ran out of retries)."""
    ConnectorJob.objects.filter(pk=job_id).exclude(
        status__in=[ConnectorJob.Status.SUCCEEDED, ConnectorJob.Status.PARTIAL]
    ).update(status=ConnectorJob.Status.FAILED, message=reason[:2000], finished_at=timezone.now())


def _run(job: ConnectorJob) -> str:
    options = job.options or {}
    if job.kind == ConnectorJob.Kind.IMPORT:
        outcome = import_model(
            reference=job.reference,
            actor=job.created_by,
            owning_team=job.owning_team,
            track=options.get("track", True),
            job=job,
        )
        message = outcome.summary()
        if options.get("download"):
            files = download_version_files(version=outcome.download_version, job=job)
            message += f"; {len(files)} file(s) stored"
        return message
    if job.kind == ConnectorJob.Kind.LISTING:
        report = import_listing(
            params=options.get("params") or {},
            limit=options.get("limit"),
            track=options.get("track", False),
            job=job,
            actor=job.created_by,
        )
        return report.summary()
    if job.kind == ConnectorJob.Kind.SYNC:
        return sync_tracked(job=job).summary()
    if job.kind == ConnectorJob.Kind.DOWNLOAD:
        version = ModelVersion.objects.get(pk=options["version_id"])
        files = download_version_files(version=version, job=job)
        return f"{len(files)} file(s) of {version} stored"
    raise HubError(f"unknown job kind {job.kind!r}")


# --- importing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportOutcome:
    model: Model
    created: bool
    versions_created: int
    versions_updated: int
    #: The version the reference named (or the newest one), whose files a download fetches.
    download_version: ModelVersion

    def summary(self) -> str:
        verb = "Imported" if self.created else "Updated"
        return (
            f"{verb} {self.model.name} (CivitAI model {self.model.external_id}): "
            f"{self.versions_created} new version(s), {self.versions_updated} updated"
        )


def _int_field(document: Mapping[str, Any], key: str, what: str) -> int:
    value = document.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidHubPayload(f"{key} of the hub's {what} must be a positive integer")
    return value


def _hub_reference(reference: str) -> Reference:
    """The CivitAI model, version or file hash ``reference`` names.

    A bare number is a Hubgate version id (``governance.catalog.references``), which names
    nothing on the hub: refused with the spelling that does.
    """
    ref = parse_reference(reference)
    if ref.kind == VERSION:
        raise InvalidReference(
            f"{reference.strip()} is a Hubgate version id; to import CivitAI model "
            f"{ref.version_id} write civitai:{ref.version_id} (or its URL or AIR)."
        )
    return ref


def _resolve(ref: Reference, hub: CivitaiClient) -> tuple[int, int | None]:
    """The model id (and version id) a reference names, asking the hub if needed."""
    if ref.model_id is not None:
        return ref.model_id, ref.version_id
    if ref.kind == HASH:
        version = hub.version_by_hash(ref.hash)
    else:
        version = hub.model_version(ref.version_id)
    version_id = _int_field(version, "id", "model version")
    if ref.version_id is not None and version_id != ref.version_id:
        raise InvalidHubPayload(
            f"asked for version {ref.version_id}, the hub answered with version {version_id}"
        )
    return _int_field(version, "modelId", "model version"), version_id


def import_model(
    *,
    reference: str,
    actor: User | None = None,
    owning_team: Team | None = None,
    track: bool = True,
    client: CivitaiClient | None = None,
    job: ConnectorJob | None = None,
) -> ImportOutcome:
    """Import (or update) the model a reference names — id, URL, AIR or file hash.

    Idempotent: a second import updates the same rows. New versions arrive as drafts. With
    ``track`` the periodic sync keeps the model up to date.
    """
    ref = _hub_reference(reference)
    _update(job, total=1)
    with _client(client) as hub, _watched():
        model_id, version_id = _resolve(ref, hub)
        document = hub.model(model_id)
    if _int_field(document, "id", "model") != model_id:
        raise InvalidHubPayload(
            f"asked for model {model_id}, the hub answered with model {document.get('id')}"
        )
    synced_at = timezone.now()
    with transaction.atomic():
        result = import_civitai_model(
            document=document, owning_team=owning_team, synced_at=synced_at
        )
        model = result.model
        if version_id is not None:
            version = model.versions.filter(hub=Hub.CIVITAI, external_id=str(version_id)).first()
            if version is None:
                raise HubNotFound(
                    f"Version {version_id} is not among the published versions of CivitAI "
                    f"model {model_id}; nothing was imported."
                )
        else:
            version = model.versions.order_by("index", "-pk").first()
        if track:
            _track(model, mode=document.get("mode") or "", actor=actor, synced_at=synced_at)
        record(
            action="connector.model_imported",
            obj=model,
            actor=actor,
            after={
                "hub": Hub.CIVITAI,
                "external_id": model.external_id,
                "reference": reference,
                "created": result.created,
                "versions_created": result.versions_created,
                "tracked": track,
                # Importing never changes the owner: the team owning the model after it.
                "owning_team": model.owning_team.slug if model.owning_team_id else None,
            },
        )
    _update(job, done=1, model=model)
    return ImportOutcome(
        model=model,
        created=result.created,
        versions_created=result.versions_created,
        versions_updated=result.versions_updated,
        download_version=version,
    )


def _track(model: Model, *, mode: str, actor: User | None, synced_at: datetime) -> TrackedModel:
    tracked, created = TrackedModel.objects.get_or_create(
        hub=Hub.CIVITAI,
        external_id=model.external_id,
        defaults={
            "model": model,
            "added_by": actor if _is_user(actor) else None,
            "hub_mode": mode,
            "last_synced_at": synced_at,
        },
    )
    if not created:
        TrackedModel.objects.filter(pk=tracked.pk).update(
            active=True,
            hub_mode=mode,
            last_synced_at=synced_at,
            last_error="",
            removed_from_hub=False,
        )
    return tracked


def _is_user(actor: User | None) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


@dataclass
class ListingReport:
    imported: int = 0
    created: int = 0
    failed: int = 0
    pages: int = 0
    errors: list[str] = field(default_factory=list)
    stopped_early: bool = False

    def summary(self) -> str:
        stopped = "; stopped at its time limit" if self.stopped_early else ""
        return (
            f"{self.imported} model(s) imported ({self.created} new) from {self.pages} "
            f"page(s); {self.failed} refused{stopped}"
        )


def import_listing(
    *,
    params: Mapping[str, Any],
    limit: int | None = None,
    track: bool = False,
    client: CivitaiClient | None = None,
    job: ConnectorJob | None = None,
    actor: User | None = None,
    max_seconds: float | None = None,
) -> ListingReport:
    """Import every model of a ``/api/v1/models`` listing (e.g. ``types=LORA``), page by page.

    Each model is its own transaction: a document the validator refuses is counted and
    named in the job's errors, and the others still arrive. A pagination loop stops the
    listing with an error; what was imported before it stays. ``max_seconds`` ends the
    listing cleanly after the page running at that time.
    """
    report = ListingReport()
    query = {"limit": 100, **params}
    deadline = time.monotonic() + max_seconds if max_seconds else None
    _update(job, total=limit or 0)
    with _client(client) as hub, _watched():
        for page in hub.models(**query):
            report.pages += 1
            synced_at = timezone.now()
            if limit is not None:
                page = page[: max(limit - report.imported - report.failed, 0)]
            written = import_civitai_models(documents=page, synced_at=synced_at)
            for position, exc in written.refused:
                document = page[position]
                item = str(document.get("id", "?") if isinstance(document, Mapping) else "?")[:40]
                report.errors.append(f"model {item}: {exc.detail}")
                _job_error(job, f"model {item}", exc)
            report.failed += len(written.refused)
            report.imported += len(written.results)
            report.created += sum(result.created for result in written.results)
            if track and written.results:
                with transaction.atomic():
                    for result in written.results:
                        _track(
                            result.model, mode=result.model.mode, actor=actor, synced_at=synced_at
                        )
            _update(job, done=report.imported + report.failed)
            if limit is not None and report.imported + report.failed >= limit:
                break
            if deadline is not None and time.monotonic() >= deadline:
                report.stopped_early = True
                break
    with transaction.atomic():
        record(
            action="connector.listing_imported",
            actor=actor,
            object_type="connectors.listing",
            object_id=str(job.pk if job else ""),
            object_repr=f"CivitAI listing {dict(params)}",
            after={
                "params": dict(params),
                "imported": report.imported,
                "created": report.created,
                "failed": report.failed,
            },
        )
    return report


# --- sync ------------------------------------------------------------------------------------


@dataclass
class SyncReport:
    synced: int = 0
    versions_created: int = 0
    flagged: list[str] = field(default_factory=list)
    failed: int = 0

    def summary(self) -> str:
        flagged = f"; flagged to admins: {', '.join(self.flagged)}" if self.flagged else ""
        return (
            f"{self.synced} tracked model(s) synced, {self.versions_created} new "
            f"version(s) as drafts, {self.failed} failed{flagged}"
        )


def sync_tracked(
    *, client: CivitaiClient | None = None, job: ConnectorJob | None = None, batch: int = 100
) -> SyncReport:
    """Re-sync every active tracked model: stats refresh, new versions arrive as drafts, and
    a takedown or removal on the hub is flagged to the admins.

    Models are fetched ``batch`` at a time with ``/api/v1/models?ids=…``; a model missing
    from that answer (CivitAI leaves taken-down models out of listings) is fetched alone.
    Each batch is written together (see :func:`import_civitai_models`); a document the
    validator refuses fails that model only.
    """
    report = SyncReport()
    tracked = list(
        TrackedModel.objects.filter(active=True, hub=Hub.CIVITAI).select_related("model")
    )
    _update(job, total=len(tracked))
    with _client(client) as hub, _watched():
        for start in range(0, len(tracked), batch):
            chunk = {t.external_id: t for t in tracked[start : start + batch]}
            documents = _fetch_many(hub, list(chunk))
            fetched: list[tuple[TrackedModel, Mapping[str, Any]]] = []
            failures: list[tuple[TrackedModel, HubgateError]] = []
            for external_id, entry in chunk.items():
                document = documents.get(external_id)
                if document is None:
                    try:
                        document = hub.model(int(external_id))
                    except HubNotFound:
                        _flag_removed(entry)
                        report.flagged.append(f"{entry.model.name} (removed)")
                        continue
                    except InvalidHubPayload as exc:
                        failures.append((entry, exc))
                        continue
                if str(document.get("id")) != entry.external_id:
                    failures.append(
                        (
                            entry,
                            InvalidHubPayload(
                                f"asked for model {entry.external_id}, got {document.get('id')}"
                            ),
                        )
                    )
                    continue
                fetched.append((entry, document))
            failures += _sync_many(fetched, report)
            for entry, exc in failures:
                report.failed += 1
                TrackedModel.objects.filter(pk=entry.pk).update(last_error=exc.detail[:2000])
                _job_error(job, f"model {entry.external_id}", exc)
            _update(job, done=min(start + batch, len(tracked)))
    return report


def _fetch_many(hub: CivitaiClient, ids: list[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    wanted = set(ids)
    for page in hub.models(ids=",".join(ids), limit=len(ids), nsfw=True):
        for document in page:
            key = str(document.get("id")) if isinstance(document, Mapping) else None
            if key in wanted:
                found[key] = document
    return found


def _sync_many(
    fetched: list[tuple[TrackedModel, Mapping[str, Any]]], report: SyncReport
) -> list[tuple[TrackedModel, InvalidHubPayload]]:
    """Import the fresh documents of tracked models in one transaction; flag takedowns and
    record discovered versions. Returns the models whose document was refused."""
    now = timezone.now()
    with transaction.atomic():
        page = import_civitai_models(documents=[d for _, d in fetched], synced_at=now)
        refused = dict(page.refused)
        results = iter(page.results)
        updated = []
        for position, (entry, document) in enumerate(fetched):
            if position in refused:
                continue
            result = next(results)
            mode = document.get("mode") or ""
            newly_taken_down = (
                mode == ModelMode.TAKEN_DOWN and entry.hub_mode != ModelMode.TAKEN_DOWN
            )
            if newly_taken_down:
                entry.flagged_at = now
                _flag(
                    entry,
                    event="model.taken_down",
                    reason="The creator or CivitAI took this model down on the hub.",
                )
                report.flagged.append(f"{entry.model.name} (taken down)")
            if result.versions_created:
                discovered = {
                    "external_id": entry.external_id,
                    "state": "draft",
                    "versions_created": result.versions_created,
                }
                record(action="connector.versions_discovered", obj=result.model, after=discovered)
            entry.hub_mode, entry.last_synced_at, entry.last_error = mode, now, ""
            entry.removed_from_hub = False
            updated.append(entry)
            report.synced += 1
            report.versions_created += result.versions_created
        TrackedModel.objects.bulk_update(
            updated, ["hub_mode", "last_synced_at", "last_error", "removed_from_hub", "flagged_at"]
        )
    return [(fetched[position][0], exc) for position, exc in page.refused]


def _flag_removed(entry: TrackedModel) -> None:
    if entry.removed_from_hub:
        return
    with transaction.atomic():
        TrackedModel.objects.filter(pk=entry.pk).update(
            removed_from_hub=True, flagged_at=timezone.now(), last_synced_at=timezone.now()
        )
        _flag(entry, event="model.removed_from_hub", reason="The model is gone from the hub (404).")


def _flag(entry: TrackedModel, *, event: str, reason: str) -> None:
    """Tell the admins (audit entry, event, e-mail) — inside the caller's transaction."""
    model = entry.model
    subject = {
        "model_id": model.pk,
        "model": model.name,
        "hub": entry.hub,
        "external_id": entry.external_id,
        "reason": reason,
    }
    record(action=f"connector.{event}", obj=model, after=subject)
    admins = get_user_model().objects.filter(is_staff=True, is_active=True).exclude(email="")
    emit(event=event, subject=subject, recipients=admins)


# --- downloads -------------------------------------------------------------------------------


def _acquire_slot(limit: int) -> tuple[str, str] | None:
    token = uuid.uuid4().hex
    for slot in range(limit):
        key = f"hubgate:civitai:download-slot:{slot}"
        if cache.add(key, token, SLOT_LEASE_SECONDS):
            return key, token
    return None


def _release_slot(key: str, token: str) -> None:
    if cache.get(key) == token:
        cache.delete(key)


@contextlib.contextmanager
def download_slot(*, limit: int | None = None, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold one of ``HUBGATE_CIVITAI_DOWNLOAD_CONCURRENCY`` download slots.

    The slots live in the cache (Redis in production, shared by every worker), each taken
    with an atomic ``add`` and a lease, so a worker that dies frees its slot eventually.
    Waits up to ``wait_seconds`` for a free slot, then raises DownloadsBusy.
    """
    limit = limit or settings.HUBGATE_CIVITAI_DOWNLOAD_CONCURRENCY
    deadline = time.monotonic() + wait_seconds
    while (held := _acquire_slot(limit)) is None:
        if time.monotonic() >= deadline:
            raise DownloadsBusy(
                f"All {limit} CivitAI download slots are in use; try again shortly."
            )
        time.sleep(0.5)
    try:
        yield
    finally:
        _release_slot(*held)


def download_file(
    *,
    file: ModelFile,
    client: CivitaiClient | None = None,
    job: ConnectorJob | None = None,
    wait_seconds: float = 0.0,
) -> ModelFile:
    """Store one hub file through ingest: streamed, resumed with Range after a cut, verified
    against the hub's published hashes (a mismatch stores nothing). Already stored: no-op."""
    if file.blob_id:
        return file
    if file.hub != Hub.CIVITAI or not file.download_url:
        raise HubError(f"{file.name} has no CivitAI download URL")
    if not file.hashes:
        raise HubError(
            f"CivitAI published no hash for {file.name}; Hubgate does not store "
            "bytes it cannot verify."
        )
    size = file.size_kb * 1024
    expected_size = int(size) if size.is_integer() and size > 0 else None
    with download_slot(wait_seconds=wait_seconds), _client(client) as hub, _watched():
        base = job.done if job is not None else 0
        last = [0.0]

        def progress(received: int) -> None:
            now = time.monotonic()
            if now - last[0] >= 1.0:
                last[0] = now
                _update(job, done=base + received)

        chunks = hub.stream_download(
            hub.download_path(file.download_url),
            expected_size=expected_size,
            max_size=settings.HUBGATE_MAX_UPLOAD_BYTES,
            on_progress=progress if job is not None else None,
        )
        stored = ingest_for_file(file=file, chunks=chunks)
    if job is not None:
        _update(job, done=base + file.size_bytes)
    file.refresh_from_db()
    return stored


def download_version_files(
    *,
    version: ModelVersion,
    client: CivitaiClient | None = None,
    job: ConnectorJob | None = None,
    wait_seconds: float = 0.0,
) -> list[ModelFile]:
    """Store every not-yet-stored file of ``version`` (one download slot at a time)."""
    files = list(version.files.filter(blob__isnull=True).order_by("-primary", "pk"))
    _update(job, total=sum(f.size_bytes for f in files), done=0, unit="bytes")
    stored = []
    with _client(client) as hub:
        for file in files:
            stored.append(download_file(file=file, client=hub, job=job, wait_seconds=wait_seconds))
    return stored
