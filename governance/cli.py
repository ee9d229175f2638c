"""The ``hubgate`` command.

``hubgate scan PATH…`` scans local files offline with the installed scanner plugins — no
server, no database: ``--format text|json|sarif``, ``--fail-on SEVERITY``; exit 0 clean,
1 findings at or above the threshold, 2 error.

``hubgate check PATH-or-REF… --profile P`` asks a Hubgate server (``HUBGATE_URL``,
``HUBGATE_TOKEN``) whether files are approved for an intended use: exit 0 pass, 1 fail,
2 error. It is the ``hubgate_cli`` package's, the same code as the standalone client.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def _scan(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    # Only after django.setup(): the report reads the scanning app's models. `hubgate check`
    # (the other subcommand) needs no Django at all, so the import stays here.
    from governance.scanning.report import run

    return run(args.paths, output_format=args.format, fail_on=args.fail_on, out=sys.stdout)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hubgate", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    scan = commands.add_parser("scan", help="scan local model files offline")
    scan.add_argument("paths", nargs="+", metavar="PATH")
    scan.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    scan.add_argument(
        "--fail-on", choices=["info", "low", "medium", "high", "critical"], default="high"
    )
    scan.set_defaults(handler=_scan)
    from hubgate_cli.cli import add_check_parser

    add_check_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 2


if __name__ == "__main__":
    sys.exit(main())
