"""The license gate: the request's intended use against the version's effective terms.

Registered in ``services.GATES``; it lives in gates (above licensing) and reads the licensing
app's verdict. Non-compliant fails and cannot be
waived; "needs review" fails until a legal reviewer records a decision (then it shows as
waived, until the decision expires or the terms change); compliant passes, listing the
team's obligations. Without an intended use (a re-check of an approved version) there is
nothing to judge: approved requests are re-evaluated by the licensing task instead.
"""

from __future__ import annotations

from datetime import datetime

from governance.catalog.models import ModelVersion
from governance.hookspecs import LicenseVerdict
from governance.licensing import selectors
from governance.licensing.models import IntendedUse
from governance.licensing.terms import REASON_LABELS

from .items import GateItem

GATE = "license"


def license_gate(version: ModelVersion, intended_use: str | None, now: datetime) -> list:
    """The license verdict for ``intended_use`` as gate items."""
    if intended_use is None:
        return []
    profile = IntendedUse.objects.filter(slug=intended_use).select_related("team").first()
    if profile is None:
        return [
            GateItem(
                GATE,
                "failed",
                f"There is no intended-use profile {intended_use!r}; "
                "the license cannot be checked.",
            )
        ]
    status = selectors.license_verdict(version=version, profile=profile, at=now)
    outcome = status.outcome
    if outcome.verdict is LicenseVerdict.NEEDS_REVIEW and status.decision is not None:
        decision = status.decision
        return [
            GateItem(
                GATE,
                "waived" if status.passes else "failed",
                f"License for {profile.slug}: {status.summary()}",
                expires_at=decision.expires_at.isoformat(),
            )
        ]
    if outcome.verdict is LicenseVerdict.COMPLIANT:
        licenses = ", ".join(f"{r.name} v{r.version}" for r in outcome.terms.licenses)
        return [GateItem(GATE, "passed", f"License compliant for {profile.slug} ({licenses}).")]
    items = []
    for plugin_reason in outcome.blocking():
        reason = plugin_reason.reason
        label = REASON_LABELS.get(reason.term, reason.term)
        prefix = (
            "Not compliant"
            if reason.verdict is LicenseVerdict.NON_COMPLIANT
            else ("Needs legal review")
        )
        items.append(
            GateItem(
                GATE,
                "failed",
                f"{prefix} for {profile.slug}: {label} — {reason.message} "
                f"[{reason.source} {reason.clause}]".replace("  ", " "),
            )
        )
    if outcome.verdict is LicenseVerdict.NEEDS_REVIEW:
        items.append(
            GateItem(
                GATE,
                "failed",
                f"A legal reviewer can record a license decision for {profile.slug} "
                "(POST /api/license-decisions/).",
            )
        )
    return items
