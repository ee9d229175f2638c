"""``manage.py rescan``: queue scans after scanner plugins changed (or of everything)."""

from django.core.management.base import BaseCommand, CommandParser

from governance.scanning.services import rescan_outdated


class Command(BaseCommand):
    help = "Queue a scan of every stored file whose last scan used other scanner versions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="Re-scan every stored file.")

    def handle(self, *args, all: bool, **options) -> None:
        count = rescan_outdated(everything=all)
        self.stdout.write(f"Queued {count} scan(s).")
