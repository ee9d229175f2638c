"""Regenerate the recommendation and quality evaluation set from the demo catalog."""

from django.core.management.base import BaseCommand

from governance.demo.catalog import load_fixture
from governance.demo.evaluation.recommendations import write


class Command(BaseCommand):
    help = "Write the simulated interaction logs and the quality labels (deterministic)."
    # Needs neither the database nor the URLconf: it reads the demo catalog's JSON.
    requires_system_checks = []

    def handle(self, *args, **options) -> None:
        for path in write(load_fixture()):
            self.stdout.write(f"wrote {path}")
