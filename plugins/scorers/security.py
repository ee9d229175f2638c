"""Security: what Hubgate's scans (and the hub's) found in a version's files.

Hubgate's own scan findings decide when every file has been scanned: the worst severity
sets the score (none or info 1.0, low 0.85, medium 0.5, high 0.2, critical or quarantined
0.0). Until then it is an estimate from what is known: the hub's pickle/virus scan results
(a "Danger" is 0.1) and the file formats — pickle-based weights can run code when loaded,
so an unscanned pickle file scores lower than an unscanned safetensors file.
"""

from __future__ import annotations

from governance.hookspecs import Score, VersionSnapshot, hookimpl

SEVERITY_SCORE = {"critical": 0.0, "high": 0.2, "medium": 0.5, "low": 0.85, "info": 1.0}
PICKLE_FORMATS = {"PickleTensor", "pickle", "pt", "ckpt"}


def _sentence(parts: list[str]) -> str:
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


@hookimpl
def hubgate_score_version(version: VersionSnapshot) -> Score | None:
    if version.file_count == 0:
        return None
    if version.quarantined_file_count:
        return Score(
            "security",
            0.0,
            f"{version.quarantined_file_count} file(s) quarantined by Hubgate's scanners.",
        )
    findings = {severity: n for severity, n in version.finding_counts if n}
    worst = min((SEVERITY_SCORE.get(s, 0.5) for s in findings), default=1.0)
    listed = ", ".join(f"{n} {s}" for s, n in version.finding_counts if n)
    pickles = sum(1 for f in version.file_formats if f in PICKLE_FORMATS)
    if "Danger" in version.hub_scan_results:
        return Score(
            "security",
            min(worst, 0.1),
            "The hub's scan flagged a file as dangerous"
            + (f"; Hubgate found {listed}." if listed else "."),
        )
    if version.scanned_file_count >= version.file_count:
        why = (
            f"Every file scanned by Hubgate; findings: {listed}."
            if worst < 1.0
            else "Every file scanned by Hubgate: no findings above info."
        )
        return Score("security", worst, why)
    # Not every file scanned here yet: estimate, never above what a full clean scan gives.
    estimate = 0.7
    reasons = [
        f"{version.file_count - version.scanned_file_count} file(s) not yet scanned by Hubgate"
    ]
    if version.hub_scan_results and all(r == "Success" for r in version.hub_scan_results):
        estimate = 0.8
        reasons.append("the hub's scans passed")
    elif "Error" in version.hub_scan_results:
        estimate = 0.5
        reasons.append("a hub scan errored")
    if pickles:
        estimate -= 0.3
        reasons.append(f"{pickles} pickle-based file(s), which can run code when loaded")
    if listed:
        reasons.append(f"findings so far: {listed}")
    return Score("security", round(max(0.0, min(estimate, worst)), 4), _sentence(reasons))
