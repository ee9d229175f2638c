"""``manage.py scan PATH…``: scan local files with every enabled scanner plugin."""

import sys

from django.core.management.base import BaseCommand, CommandParser

from governance.hookspecs import Severity
from governance.scanning.report import RENDERERS, run


class Command(BaseCommand):
    help = "Scan files without storing them. Exit 0 clean, 1 findings >= --fail-on, 2 error."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+")
        parser.add_argument("--format", choices=sorted(RENDERERS), default="text")
        parser.add_argument(
            "--fail-on", choices=[s.value for s in Severity], default=Severity.HIGH.value
        )

    def handle(self, *args, paths, format, fail_on, **options) -> None:
        sys.exit(run(paths, output_format=format, fail_on=fail_on, out=self.stdout))
