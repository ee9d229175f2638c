"""One line of a gate report: what a gate found, and whether it blocks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GateItem:
    gate: str
    #: passed, waived, failed, pending or quarantined
    status: str
    reason: str
    file_id: int | None = None
    finding_id: int | None = None
    waiver_id: int | None = None
    severity: str | None = None
    expires_at: str | None = None
    #: Whether a reviewer with a waiving role may waive this item.
    waivable: bool = False
