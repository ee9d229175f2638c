"""Questions about scans."""

from __future__ import annotations

from governance.ingest.models import Blob

from .models import SERVABLE_VERDICTS, FileScan, Verdict


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


def is_quarantined(blob: Blob) -> bool:
    scan = blob.current_scan
    return scan is not None and scan.verdict == Verdict.QUARANTINED
