"""Fill a PostgreSQL database for bench_gate_check.py: N approved versions with 2 files each.

Run in its own process with DATABASE_URL set. Rows are written in bulk (the services would
take an hour for 100,000 files) but in the shapes the services leave: every file stored and
scanned clean, every version approved through an approved request of the "bench" team for
the commercial-products profile, the team's group holding ``use_modelversion`` on each
version, the models licensed for that use (SDXL 1.0, a creator allowing every use), and the
gate verdicts precomputed (``precompute_verdicts``, as after any bulk load). Prints
the service account's API key as JSON. Does nothing but mint a key if the data is there.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 5000
PROFILE = "commercial-products"


def file_sha256(index: int) -> str:
    """The SHA256 of bench file ``index`` (the load generator computes the same)."""
    return hashlib.sha256(f"hubgate-bench-{index}".encode()).hexdigest().upper()


def main(versions: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone
    from guardian.models import GroupObjectPermission

    from governance.accounts.models import Membership, Team, User
    from governance.accounts.services import create_api_key
    from governance.approvals.models import ModelRequest
    from governance.catalog.models import Creator, Model, ModelFile, ModelVersion
    from governance.ci.verdicts import precompute_verdicts
    from governance.demo.licensing import seed_intended_uses
    from governance.ingest.models import Blob
    from governance.licensing.services import sync_license_catalog
    from governance.scanning.models import FileScan

    call_command("migrate", verbosity=0, interactive=False)
    team, _ = Team.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    team.refresh_from_db()
    bot, created = User.objects.get_or_create(
        username="bench-ci", defaults={"is_service_account": True}
    )
    if created:
        Membership.objects.create(user=bot, team=team)
    requester, _ = User.objects.get_or_create(username="bench-requester")
    have = ModelFile.objects.filter(name__startswith="bench-").count()
    if have < versions * 2:
        sync_license_catalog()
        seed_intended_uses()
        creator, _ = Creator.objects.get_or_create(username="bench-creator")
        now = timezone.now()
        use = Permission.objects.get(codename="use_modelversion")
        version_type = ContentType.objects.get_for_model(ModelVersion)
        start = have // 2
        for first in range(start, versions, BATCH):
            last = min(first + BATCH, versions)
            with transaction.atomic():
                models = Model.objects.bulk_create(
                    [
                        Model(
                            name=f"Bench model {i}",
                            type="LORA",
                            creator=creator,
                            hub="civitai",
                            external_id=str(9_000_000 + i),
                            commercial_image=True,
                            commercial_rent_civit=True,
                            commercial_rent=True,
                            commercial_sell=True,
                        )
                        for i in range(first, last)
                    ]
                )
                created_versions = ModelVersion.objects.bulk_create(
                    [
                        ModelVersion(
                            model=model,
                            name="v1",
                            base_model="SDXL 1.0",
                            state="approved",
                            hub="civitai",
                            external_id=str(19_000_000 + i),
                        )
                        for i, model in zip(range(first, last), models, strict=True)
                    ]
                )
                blobs = Blob.objects.bulk_create(
                    [
                        Blob(
                            sha256=file_sha256(n),
                            size=1024,
                            autov1="00000000",
                            crc32="00000000",
                            blake3=file_sha256(n),
                            storage_name=f"bench/{n}",
                            format="safetensors",
                        )
                        for i in range(first, last)
                        for n in (2 * i, 2 * i + 1)
                    ]
                )
                scans = FileScan.objects.bulk_create(
                    [
                        FileScan(blob=blob, status="done", verdict="clean", finished_at=now)
                        for blob in blobs
                    ]
                )
                for blob, scan in zip(blobs, scans, strict=True):
                    blob.current_scan = scan
                Blob.objects.bulk_update(blobs, ["current_scan"], batch_size=BATCH)
                ModelFile.objects.bulk_create(
                    [
                        ModelFile(
                            version=version,
                            name=f"bench-{blob.sha256[:12]}.safetensors",
                            primary=n == 0,
                            blob=blob,
                            sha256=blob.sha256,
                            autov2=blob.sha256[:10],
                            hub="upload",
                            size_kb=1.0,
                        )
                        for k, version in enumerate(created_versions)
                        for n, blob in enumerate(blobs[2 * k : 2 * k + 2])
                    ]
                )
                ModelRequest.objects.bulk_create(
                    [
                        ModelRequest(
                            version=version,
                            team=team,
                            requester=requester,
                            intended_use=PROFILE,
                            state="approved",
                            decided_at=now,
                        )
                        for version in created_versions
                    ]
                )
                GroupObjectPermission.objects.bulk_create(
                    [
                        GroupObjectPermission(
                            group_id=team.group_id,
                            permission=use,
                            content_type=version_type,
                            object_pk=str(version.pk),
                        )
                        for version in created_versions
                    ]
                )
            print(f"seeded versions {first}..{last - 1}", file=sys.stderr, flush=True)
        call_command(
            "shell",
            "-c",
            "from django.db import connection; connection.cursor().execute('ANALYZE')",
        )
    # The gate verdicts, as the services keep them once they exist (a no-op when current).
    precompute_verdicts()
    _, key = create_api_key(user=bot, name="bench", scopes=["ci"])
    print(
        json.dumps(
            {"key": key, "files": ModelFile.objects.filter(name__startswith="bench-").count()}
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]))
