"""Compute the CI gate check's precomputed verdicts: after a bulk load or a restore."""

from django.core.management.base import BaseCommand

from governance.ci.verdicts import precompute_verdicts, refresh_stored_verdicts


class Command(BaseCommand):
    help = (
        "Compute the gate verdict of every approved request's version for its intended use "
        "(only those not current); --stored recomputes the stale stored ones instead."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--stored", action="store_true", help="Only recompute stored verdicts gone stale."
        )

    def handle(self, *args, stored: bool = False, **options) -> None:
        count = refresh_stored_verdicts() if stored else precompute_verdicts()
        self.stdout.write(f"{count} gate verdict(s) computed.")
