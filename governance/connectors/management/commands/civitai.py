"""``manage.py civitai import <id|url|air|hash>``, ``civitai sync`` and friends.

The commands run the connector's services in this process (no worker needed) and exit
non-zero with the service's message when the hub or the document is at fault.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.accounts.models import Team
from governance.catalog.models import ModelVersion
from governance.errors import HubgateError

from ... import services


class Command(BaseCommand):
    help = "Import from CivitAI, sync tracked models, download files, check the connection."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        imp = commands.add_parser(
            "import", help="Import one model: civitai:ID[@VERSION], URL, AIR or file hash."
        )
        imp.add_argument("reference")
        imp.add_argument("--team", help="Slug of the team that will own the model.")
        imp.add_argument("--download", action="store_true", help="Also store its files.")
        imp.add_argument("--no-track", action="store_true", help="Do not keep it in sync.")
        listing = commands.add_parser("import-listing", help="Import a /api/v1/models listing.")
        listing.add_argument("--params", default="{}", help='JSON, e.g. {"types": "LORA"}')
        listing.add_argument("--limit", type=int, default=100)
        commands.add_parser("sync", help="Re-sync every tracked model now.")
        download = commands.add_parser("download", help="Store the files of a version.")
        download.add_argument("version_id", type=int, help="Hubgate's id of the version.")
        commands.add_parser("health", help="Check the connection to CivitAI.")

    def handle(self, *args, command: str, **options) -> None:
        try:
            getattr(self, "_" + command.replace("-", "_"))(**options)
        except HubgateError as exc:
            raise CommandError(exc.detail) from exc

    def _import(
        self, *, reference: str, team: str | None, download: bool, no_track: bool, **_
    ) -> None:
        owner = None
        if team:
            owner = Team.objects.filter(slug=team).first()
            if owner is None:
                raise CommandError(f"No team {team!r}.")
        outcome = services.import_model(reference=reference, owning_team=owner, track=not no_track)
        self.stdout.write(self.style.SUCCESS(outcome.summary()))
        if download:
            files = services.download_version_files(
                version=outcome.download_version, wait_seconds=300
            )
            for file in files:
                self.stdout.write(
                    f"stored {file.name} ({file.size_kb:.0f} KiB, sha256 {file.sha256.lower()})"
                )

    def _import_listing(self, *, params: str, limit: int, **_) -> None:
        try:
            query = json.loads(params)
        except ValueError as exc:
            raise CommandError(f"--params is not JSON: {exc}") from exc
        report = services.import_listing(params=query, limit=limit)
        self.stdout.write(self.style.SUCCESS(report.summary()))
        for error in report.errors[:20]:
            self.stderr.write(f"  {error}")

    def _sync(self, **_) -> None:
        report = services.sync_tracked()
        self.stdout.write(self.style.SUCCESS(report.summary()))

    def _download(self, *, version_id: int, **_) -> None:
        version = ModelVersion.objects.filter(pk=version_id).first()
        if version is None:
            raise CommandError(f"No version {version_id}.")
        for file in services.download_version_files(version=version, wait_seconds=300):
            self.stdout.write(f"stored {file.name} (sha256 {file.sha256.lower()})")

    def _health(self, **_) -> None:
        connection = services.check_health()
        line = f"{connection.base_url}: {connection.get_status_display()}"
        if connection.detail != "OK":
            line += f" — {connection.detail}"
        if connection.latency_ms is not None:
            line += f" ({connection.latency_ms} ms)"
        if connection.status != connection.Status.OK:
            raise CommandError(line)
        self.stdout.write(self.style.SUCCESS(line))
