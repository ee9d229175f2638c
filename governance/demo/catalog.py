"""The demo catalog: CivitAI-shaped fixture data, demo people and teams, for trying Hubgate."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from governance.accounts.models import Membership, Team, User
from governance.catalog.models import Model, ModelVersion
from governance.catalog.services import import_civitai_model
from governance.scoring.services import refresh_scores

from .licensing import seed_licensing_demo

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "demo_catalog.json"
#: Demo accounts only ever exist on a development instance (seed_demo refuses production).
DEMO_PASSWORD = "hubgate-demo"  # noqa: S105
DEMO_TEAMS = [
    ("creative-studio", "Creative Studio", "Artists producing marketing and product imagery."),
    ("ml-research", "ML Research", "Engineers evaluating and fine-tuning models."),
]
#: username, first name, is_staff/superuser, [(team slug, role)]
DEMO_USERS = [
    ("admin", "Ada", True, []),
    ("alice", "Alice", False, [("creative-studio", Membership.Role.MEMBER)]),
    ("bob", "Bob", False, [("creative-studio", Membership.Role.LEAD)]),
    ("carol", "Carol", False, [("ml-research", Membership.Role.MEMBER)]),
    ("dave", "Dave", False, [("ml-research", Membership.Role.LEAD)]),
]


@dataclass(frozen=True)
class SeedReport:
    models_created: int
    models_total: int
    versions_total: int
    users_created: list[str]


def load_fixture(path: Path = FIXTURE) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)["items"]


def seed_demo(*, fixture: Path = FIXTURE) -> SeedReport:
    """Load the demo catalog, people and teams. Running it again changes nothing."""
    with transaction.atomic():
        teams = {}
        for slug, name, description in DEMO_TEAMS:
            teams[slug], _ = Team.objects.get_or_create(
                slug=slug, defaults={"name": name, "description": description}
            )
        users_created = []
        for username, first_name, staff, memberships in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "email": f"{username}@example.com",
                    "is_staff": staff,
                    "is_superuser": staff,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
                users_created.append(username)
            for slug, role in memberships:
                Membership.objects.get_or_create(
                    user=user, team=teams[slug], defaults={"role": role}
                )

        created = 0
        for position, document in enumerate(load_fixture(fixture)):
            # Spread ownership so each team has a portfolio the recommenders can build on.
            owner = None
            if position % 5 == 0:
                owner = teams["creative-studio"]
            elif position % 7 == 0:
                owner = teams["ml-research"]
            result = import_civitai_model(document=document, owning_team=owner)
            created += result.created

        refresh_scores(versions=ModelVersion.objects.filter(scores__isnull=True))
        # Intended-use profiles and declared licenses: the governance demo requests by them.
        seed_licensing_demo()

    return SeedReport(
        models_created=created,
        models_total=Model.objects.count(),
        versions_total=ModelVersion.objects.count(),
        users_created=users_created,
    )
