"""Load the shipped license catalog: licenses (version 1, with their first revision) and the
base model → license mapping. Only creates what is missing: edits made in the admin since
are never overwritten (``manage.py licenses sync --update`` applies a newer shipped catalog,
versioned and audited)."""

import json
from pathlib import Path

from django.db import migrations

CATALOG = Path(__file__).resolve().parent.parent / "fixtures" / "license_catalog.json"
FIELDS = (
    "name", "spdx_id", "url", "summary", "grant_clause", "terms", "use_restrictions",
    "revenue_limit_usd", "revenue_clause", "excluded_territories", "territory_clause",
    "notice", "sources",
)


def load(apps, schema_editor):
    License = apps.get_model("licensing", "License")
    LicenseRevision = apps.get_model("licensing", "LicenseRevision")
    BaseModelLicense = apps.get_model("licensing", "BaseModelLicense")
    catalog = json.loads(CATALOG.read_text(encoding="utf-8"))
    for entry in catalog["licenses"]:
        values = {field: entry.get(field) for field in FIELDS}
        lic, created = License.objects.get_or_create(key=entry["key"], defaults=values)
        if created:
            LicenseRevision.objects.create(
                license=lic, version=1, snapshot={**values, "version": 1},
                note="Shipped with Hubgate.",
            )
    for entry in catalog["base_models"]:
        license_ = License.objects.filter(key=entry["license"]).first() if entry["license"] else None
        BaseModelLicense.objects.get_or_create(
            base_model=entry["base_model"], defaults={"license": license_, "note": entry["note"]}
        )


class Migration(migrations.Migration):
    dependencies = [("licensing", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
