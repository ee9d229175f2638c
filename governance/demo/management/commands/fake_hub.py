"""``manage.py fake_hub``: serve the demo catalog as a fake CivitAI on 127.0.0.1."""

from __future__ import annotations

import contextlib

from django.core.management.base import BaseCommand, CommandParser

from governance.demo.catalog import load_fixture
from governance.demo.fake_hub import FakeCivitai


class Command(BaseCommand):
    help = "Serve the demo catalog as a fake CivitAI (point HUBGATE_CIVITAI_BASE_URL at it)."
    # Needs neither the database nor the URLconf: it serves the demo catalog's JSON.
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--api-key", default="", help="The key login-required files need.")

    def handle(self, *args, port: int, api_key: str, **options) -> None:
        hub = FakeCivitai(load_fixture(), api_key=api_key, port=port)
        self.stdout.write(
            f"Fake CivitAI with {len(hub.models())} models on {hub.url} (Ctrl-C stops it).\n"
            f"Point Hubgate at it: HUBGATE_CIVITAI_BASE_URL={hub.url}"
        )
        self.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            hub.serve_forever()
