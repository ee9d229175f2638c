"""``manage.py licenses``: evaluate a version for an intended use, sync the shipped catalog,
re-evaluate, and print compliance reports and NOTICE files.

``licenses evaluate VERSION_ID PROFILE_SLUG [--format json]`` exits 0 when compliant, 1 when
not compliant, 3 when a lawyer must review; 2 on an error (no such version or profile).
"""

from __future__ import annotations

import csv
import json
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.accounts.models import Team
from governance.approvals import compliance
from governance.catalog.models import ModelVersion
from governance.hookspecs import LicenseVerdict
from governance.licensing import selectors, services
from governance.licensing.export import REPORT_COLUMNS, report_csv_rows
from governance.licensing.models import IntendedUse, License
from governance.licensing.signals import terms_changed
from governance.licensing.terms import REASON_LABELS

EXIT_CODES = {
    LicenseVerdict.COMPLIANT: 0,
    LicenseVerdict.NON_COMPLIANT: 1,
    LicenseVerdict.NEEDS_REVIEW: 3,
}
ERROR = 2


class Command(BaseCommand):
    help = "License compliance: evaluate, sync, reevaluate, report, notice."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        evaluate = commands.add_parser(
            "evaluate", help="The verdict for one version and intended use (exit 0/1/3)."
        )
        evaluate.add_argument("version_id", type=int)
        evaluate.add_argument("profile_slug")
        evaluate.add_argument("--format", choices=["text", "json"], default="text")
        sync = commands.add_parser("sync", help="Load the shipped license catalog.")
        sync.add_argument(
            "--update",
            action="store_true",
            help="Also apply shipped terms that differ (a new, audited version each).",
        )
        reevaluate = commands.add_parser(
            "reevaluate", help="Re-evaluate approved and open requests now (all, or a scope)."
        )
        reevaluate.add_argument("--license", dest="license_key")
        reevaluate.add_argument("--profile")
        reevaluate.add_argument("--base-model")
        report = commands.add_parser("report", help="Compliance report (company or one team).")
        report.add_argument("--team")
        report.add_argument("--format", choices=["json", "csv"], default="json")
        notice = commands.add_parser("notice", help="A team's attribution/NOTICE file.")
        notice.add_argument("team")

    def handle(self, *args, command: str, **options) -> None:
        getattr(self, f"_{command}")(**options)

    def _evaluate(self, *, version_id: int, profile_slug: str, format: str, **_) -> None:
        version = ModelVersion.objects.select_related("model").filter(pk=version_id).first()
        if version is None:
            raise CommandError(f"No model version {version_id}.", returncode=ERROR)
        profile = IntendedUse.objects.filter(slug=profile_slug).first()
        if profile is None:
            slugs = ", ".join(IntendedUse.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(
                f"No intended-use profile {profile_slug!r}; known: {slugs}.", returncode=ERROR
            )
        status = selectors.license_verdict(version=version, profile=profile)
        if format == "json":
            self.stdout.write(
                json.dumps(
                    {
                        "version_id": version.pk,
                        "model": version.model.name,
                        "version": version.name,
                        "base_model": version.base_model,
                        **status.as_dict(),
                    },
                    indent=2,
                )
            )
        else:
            self._print_status(version, profile, status)
        sys.exit(EXIT_CODES[status.verdict])

    def _print_status(self, version, profile, status) -> None:
        terms = status.outcome.terms
        w = self.stdout.write
        w(
            f"{version.model.name} — {version.name} (version {version.pk}), "
            f"base model {version.base_model or '—'}, {version.model.get_hub_display()}"
        )
        w(f"Intended use: {profile.slug} ({profile.name})")
        licenses = "; ".join(f"{r.name} v{r.version} ({r.role})" for r in terms.licenses)
        w(f"Licenses: {licenses or 'none known'}")
        w(f"Verdict: {status.verdict.value.replace('_', ' ').upper()}")
        for item in status.outcome.reasons:
            r = item.reason
            w(f"  [{r.verdict.value}] {REASON_LABELS.get(r.term, r.term)}: {r.message}")
            w(
                f"      cites {' '.join(p for p in (r.source, r.clause) if p and p != '—') or '—'}"
                f" ({item.plugin})"
            )
        if status.decision is not None:
            d = status.decision
            w(
                f"Legal decision #{d.pk} by {d.decided_by} until {d.expires_at:%Y-%m-%d}: "
                f"{d.get_outcome_display()} — {d.justification}"
            )

    def _sync(self, *, update: bool, **_) -> None:
        report = services.sync_license_catalog(update=update)
        self.stdout.write(
            f"Licenses created: {', '.join(report['created']) or 'none'}; updated: "
            f"{', '.join(report['updated']) or 'none'}; base models added: "
            f"{', '.join(report['base_models']) or 'none'}."
        )

    def _reevaluate(self, *, license_key, profile, base_model, **_) -> None:
        scope = {"license": license_key, "profile": profile, "base_model": base_model}
        scope = {k: v for k, v in scope.items() if v}
        # Announced like any change of terms: approvals re-evaluate the requests in scope
        # and scoring rescores, in Celery tasks (at once where Celery runs eagerly).
        terms_changed.send(License, scope=scope, reason="manage.py licenses reevaluate")
        self.stdout.write(f"Re-evaluation queued for {scope or 'every request'}.")

    def _team(self, slug: str) -> Team:
        team = Team.objects.filter(slug=slug).first()
        if team is None:
            raise CommandError(f"No team {slug!r}.", returncode=ERROR)
        return team

    def _report(self, *, team, format: str, **_) -> None:
        report = compliance.compliance_report(teams=[self._team(team)] if team else None)
        if format == "json":
            self.stdout.write(json.dumps(report, indent=2))
            return
        writer = csv.writer(self.stdout)
        writer.writerow(REPORT_COLUMNS)
        writer.writerows(report_csv_rows(report))

    def _notice(self, *, team: str, **_) -> None:
        self.stdout.write(compliance.attribution_notice(team=self._team(team)), ending="")
