"""The demo's licensing data: the shipped catalog, four intended-use profiles and a few
declared licenses. Idempotent: a second run finds everything there and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from governance.catalog.models import Model
from governance.licensing.models import DeclaredLicense, IntendedUse, License
from governance.licensing.services import (
    declare_license,
    save_intended_use,
    sync_license_catalog,
)

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "demo_licensing.json"


def demo_data() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def seed_intended_uses() -> list[IntendedUse]:
    """The demo profiles (also what tests use); existing ones are left as they are."""
    profiles = []
    for entry in demo_data()["intended_uses"]:
        profile = IntendedUse.objects.filter(slug=entry["slug"]).first()
        profiles.append(profile or save_intended_use(actor=None, **entry))
    return profiles


def seed_licensing_demo() -> None:
    """Catalog, profiles and declared licenses of the demo models; does nothing twice."""
    with transaction.atomic():
        sync_license_catalog()
        seed_intended_uses()
        for entry in demo_data()["declared_licenses"]:
            model = Model.objects.filter(hub=entry["hub"], external_id=entry["external_id"]).first()
            if model is None or DeclaredLicense.objects.filter(model=model).exists():
                continue
            declare_license(
                model=model,
                license=License.objects.get(key=entry["license"]),
                actor=None,
                source=entry["source"],
            )
