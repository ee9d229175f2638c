"""``manage.py seed_demo``: load the demo catalog, demo people and teams (idempotent)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.demo.approvals import REVIEWERS, seed_governance_demo
from governance.demo.catalog import DEMO_PASSWORD, DEMO_USERS, seed_demo
from governance.demo.community import seed_community_demo
from governance.demo.compat import demo_api_key


class Command(BaseCommand):
    help = "Load the demo catalog (60+ CivitAI-shaped models), demo users and two teams."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even with DEBUG off (demo accounts have a published password).",
        )
        parser.add_argument(
            "--new-api-key",
            action="store_true",
            help="Revoke the demo user's API key and print a new one (a key is shown only "
            "when it is created).",
        )

    def handle(self, *args, allow_production: bool, new_api_key: bool, **options) -> None:
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "Refusing to create demo accounts with a published password on a server with "
                "DEBUG off; pass --allow-production if this really is a throwaway instance."
            )
        report = seed_demo()
        governance = seed_governance_demo(password=DEMO_PASSWORD)
        community = seed_community_demo()
        if community.created:
            self.stdout.write(
                f"Demo community: {community.reviews} reviews, {community.comments} comments, "
                f"{community.usage_events} usage events over four months."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo catalog: {report.models_total} models, {report.versions_total} versions "
                f"({report.models_created} models new)."
            )
        )
        if governance:
            self.stdout.write("Demo governance: in-house models uploaded, scanned and reviewed.")
        names = ", ".join([username for username, *_ in DEMO_USERS] + [r[0] for r in REVIEWERS])
        self.stdout.write(
            f"Sign in as admin / {DEMO_PASSWORD} (administrator), or as any of {names} "
            f"with the same password."
        )
        demo_key = demo_api_key(renew=new_api_key)
        if demo_key is None:
            return
        self.stdout.write("CivitAI-compatible API at /api/v1/models (no key needed in the demo).")
        if demo_key.raw is None:
            self.stdout.write(
                f"alice's API key (read, hg_{demo_key.prefix}_…) was created by an earlier run "
                "and is not shown again; `manage.py seed_demo --new-api-key` replaces it."
            )
            return
        self.stdout.write(f"alice's API key (read): {demo_key.raw}")
        if demo_key.version_id is not None:
            self.stdout.write(
                f"  e.g. curl -OJ -H 'Authorization: Bearer {demo_key.raw}' "
                f"http://127.0.0.1:8000/api/download/models/{demo_key.version_id}"
            )
