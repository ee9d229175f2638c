"""Questions about scans."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from governance.catalog.selectors import visible_files
from governance.ingest.models import Blob, UploadSession

from .models import SERVABLE_VERDICTS, FileScan, Finding, Verdict


def servable_reason(blob: Blob) -> str:
    """Why ``blob`` may not be served, or "" when it may."""
    scan: FileScan | None = blob.current_scan
    if scan is None:
        return "This file has not been scanned yet; it is served once its scan is clean."
    if scan.verdict == Verdict.QUARANTINED:
        return "This file is quarantined: a scanner found something critical in it."
    if scan.verdict == Verdict.ERROR:
        return "This file's scan failed, so it is not served until a scan succeeds."
    if scan.verdict not in SERVABLE_VERDICTS:
        return "This file's scan has not finished yet."
    return ""


def scans_visible_to(user) -> QuerySet[FileScan]:
    """Scans of blobs ``user`` may see: files of visible versions, and their own uploads.
    Administrators see every scan."""
    scans = FileScan.objects.select_related("blob")
    if not user.is_authenticated:
        return scans.none()
    if user.is_staff:
        return scans
    uploads = UploadSession.objects.filter(created_by=user, blob__isnull=False)
    return scans.filter(
        Q(blob_id__in=visible_files(user).filter(blob__isnull=False).values("blob_id"))
        | Q(blob_id__in=uploads.values("blob_id"))
    )


def findings_visible_to(user) -> QuerySet[Finding]:
    """Findings of the scans ``user`` may see."""
    return Finding.objects.filter(scan__in=scans_visible_to(user).values("pk")).select_related(
        "scan__blob"
    )
