"""``manage.py audit verify|anchor|rekey|export``: prove the audit log intact, anchor its head
outside Hubgate, seal entries written before the chain was keyed, or copy the log out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from governance.audit.anchors import Anchor, anchor_store
from governance.audit.export import EXPORTERS
from governance.audit.models import AuditEntry
from governance.audit.selectors import iter_entries, verify_chain
from governance.audit.services import AuditLogBroken, anchor_head, rekey

_HASH = re.compile(r"[0-9a-f]{64}")


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
        "audit verify: check the keyed hash chain, ids and head, and with --anchor the anchors "
        "(exit 0 intact, 1 with each problem listed). audit anchor: copy the head to "
        "HUBGATE_AUDIT_ANCHOR. audit rekey: seal unkeyed entries under HUBGATE_AUDIT_KEY. "
        "audit export: write entries as CSV or JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="COMMAND")
        verify = commands.add_parser("verify", help="recompute every hash and link")
        verify.add_argument(
            "--anchor",
            nargs="?",
            const="",
            metavar="HASH|URL",
            help="check against the anchors in HUBGATE_AUDIT_ANCHOR (no value), in this "
            "file:///path or s3://bucket/prefix, or against one head hash recorded by hand",
        )
        anchor = commands.add_parser("anchor", help="copy the head outside Hubgate")
        anchor.add_argument(
            "--to", metavar="URL", help="file:///path or s3://bucket/prefix (default: setting)"
        )
        commands.add_parser("rekey", help="seal entries written before the chain was keyed")
        export = commands.add_parser("export", help="write the log as CSV or JSON")
        export.add_argument("--format", choices=sorted(EXPORTERS), default="json")
        export.add_argument("--since", metavar="ISO", help="only entries at or after this time")
        export.add_argument("--output", metavar="FILE", help="write here instead of stdout")

    def handle(self, *args, subcommand: str, **options) -> None:
        if subcommand == "verify":
            self.verify(anchor=options["anchor"])
        elif subcommand == "anchor":
            self.anchor(destination=options["to"])
        elif subcommand == "rekey":
            self.rekey()
        else:
            self.export(
                output_format=options["format"], since=options["since"], output=options["output"]
            )

    def verify(self, *, anchor: str | None) -> None:
        anchor_hash, anchors, source = None, [], None
        if anchor is not None and _HASH.fullmatch(anchor):
            anchor_hash = anchor
        elif anchor is not None:
            anchors, source = self._read_anchors(anchor or None)
        report = verify_chain(anchor=anchor_hash, anchors=anchors)
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
        for entry_id, note in report.notes:
            self.stdout.write(f"  note, entry {entry_id}: {note}")
        if source is not None:
            self.stdout.write(f"Anchors: {report.anchors_checked} checked, from {source}.")
            if not anchors:
                self.stdout.write(
                    self.style.WARNING("No anchors written there yet: run `audit anchor`.")
                )
        if report.head_hash is None:
            self.stdout.write("Head: none (no entries recorded).")
        else:
            self.stdout.write(
                f"Head: entry {report.head_entry_id}, {report.head_count} entries, "
                f"hash {report.head_hash}"
            )
            if source is None:
                self.stdout.write(
                    "Keep this head outside Hubgate (`audit anchor` does, to "
                    "HUBGATE_AUDIT_ANCHOR); `audit verify --anchor` later proves the log up "
                    "to it was neither rewritten nor cut short."
                )
        if not report.ok:
            raise CommandError(
                f"The audit log failed verification ({len(report.problems)} problem(s)).",
                returncode=1,
            )

    def _read_anchors(self, destination: str | None) -> tuple[list[Anchor], str]:
        try:
            store = anchor_store(destination)
            return list(store.read()), str(store)
        except (ImproperlyConfigured, ValueError, OSError) as exc:
            raise CommandError(f"Cannot read the anchors: {exc}", returncode=2) from exc

    def anchor(self, *, destination: str | None) -> None:
        try:
            written = anchor_head(destination=destination)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc), returncode=2) from exc
        except AuditLogBroken as exc:
            raise CommandError(str(exc), returncode=1) from exc
        if written is None:
            self.stdout.write("Nothing to anchor: the log is empty.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Anchored entry {written.entry_id} ({written.count} entries), "
                f"hash {written.hash}, at {written.anchored_at.isoformat()}."
            )
        )

    def rekey(self) -> None:
        try:
            sealed = rekey()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if sealed is None:
            self.stdout.write("Nothing to seal: the log is empty or already keyed.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Sealed {sealed.after['unkeyed_entries']} unkeyed entries under "
                f"HUBGATE_AUDIT_KEY with entry {sealed.pk}."
            )
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
