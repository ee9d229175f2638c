"""``manage.py audit verify|export``: prove the audit log intact, or copy it out."""

from __future__ import annotations

from datetime import UTC, datetime, time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from governance.audit.export import EXPORTERS
from governance.audit.models import AuditEntry
from governance.audit.selectors import iter_entries, verify_chain


def parse_since(value: str) -> datetime:
    """An ISO-8601 date or date-time; without a UTC offset it is taken as UTC."""
    try:
        moment = parse_datetime(value)
        if moment is None and (day := parse_date(value)) is not None:
            moment = datetime.combine(day, time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise CommandError(f"--since {value!r} is not an ISO-8601 date or date-time.")
    return timezone.make_aware(moment, UTC) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = (
        "audit verify: check the hash chain (exit 0 intact, 1 with each problem listed). "
        "audit export: write entries as CSV or JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="COMMAND")
        verify = commands.add_parser("verify", help="recompute every hash and link")
        verify.add_argument(
            "--anchor",
            metavar="HASH",
            help="a head hash recorded earlier outside Hubgate; fail if it is not in the chain",
        )
        export = commands.add_parser("export", help="write the log as CSV or JSON")
        export.add_argument("--format", choices=sorted(EXPORTERS), default="json")
        export.add_argument("--since", metavar="ISO", help="only entries at or after this time")
        export.add_argument("--output", metavar="FILE", help="write here instead of stdout")

    def handle(self, *args, subcommand: str, **options) -> None:
        if subcommand == "verify":
            self.verify(anchor=options["anchor"])
        else:
            self.export(
                output_format=options["format"], since=options["since"], output=options["output"]
            )

    def verify(self, *, anchor: str | None) -> None:
        report = verify_chain(anchor=anchor)
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"OK: {report.checked} entries verified."))
        else:
            self.stdout.write(
                self.style.ERROR(
                    f"FAILED: {len(report.problems)} problem(s) in {report.checked} entries."
                )
            )
            for entry_id, problem in report.problems:
                where = f"entry {entry_id}" if entry_id is not None else "log"
                self.stdout.write(f"  {where}: {problem}")
        if report.head_hash is None:
            self.stdout.write("Head: none (no entries recorded).")
        else:
            self.stdout.write(
                f"Head: entry {report.head_entry_id}, {report.head_count} entries, "
                f"hash {report.head_hash}"
            )
            self.stdout.write(
                "Record this head hash outside Hubgate; `audit verify --anchor HASH` later "
                "proves the log up to it was not rewritten."
            )
        if not report.ok:
            raise CommandError(
                f"The audit log failed verification ({len(report.problems)} problem(s)).",
                returncode=1,
            )

    def export(self, *, output_format: str, since: str | None, output: str | None) -> None:
        entries = AuditEntry.objects.all()
        if since:
            entries = entries.filter(created_at__gte=parse_since(since))
        chunks = EXPORTERS[output_format](iter_entries(entries))
        if output is None:
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
            return
        with open(output, "w", encoding="utf-8", newline="") as out:
            out.writelines(chunks)
        self.stderr.write(f"Wrote the audit log as {output_format} to {output}.")
