"""The capped findings collector every scanner uses.

A hostile file can repeat one problem millions of times; a report listing each would be the
denial of service. The first ``per_code`` findings of each code are kept, and one INFO
``<prefix>.more_findings`` per code says how many more there were.
"""

from __future__ import annotations

from typing import Any

from governance.hookspecs import Finding, Severity

MAX_FINDINGS_PER_CODE = 20


class CappedFindings:
    """Findings of one scan, at most ``per_code`` of each code listed."""

    def __init__(
        self, prefix: str, *, per_code: int = MAX_FINDINGS_PER_CODE, summary_key: str = "code"
    ) -> None:
        self.prefix = prefix
        self.per_code = per_code
        #: The detail key naming the elided code in a ``more_findings`` summary.
        self.summary_key = summary_key
        self.findings: list[Finding] = []
        self.counts: dict[str, int] = {}

    def add(
        self,
        code: str,
        severity: Severity,
        message: str,
        /,
        member: str | None = None,
        **detail: Any,
    ) -> None:
        seen = self.counts.get(code, 0)
        self.counts[code] = seen + 1
        if seen < self.per_code:
            self.findings.append(
                Finding(
                    code=f"{self.prefix}.{code}",
                    severity=severity,
                    message=message,
                    member=member,
                    detail=detail,
                )
            )

    def summaries(self) -> list[Finding]:
        """One INFO finding per code that had more findings than were listed."""
        return [
            Finding(
                code=f"{self.prefix}.more_findings",
                severity=Severity.INFO,
                message=f"{count - self.per_code} more {self.prefix}.{code} findings "
                "were not listed.",
                detail={
                    self.summary_key: f"{self.prefix}.{code}",
                    "not_listed": count - self.per_code,
                },
            )
            for code, count in self.counts.items()
            if count > self.per_code
        ]

    def result(self) -> list[Finding]:
        """The listed findings followed by the summaries."""
        return self.findings + self.summaries()
