"""Fill DATABASE_URL with N approved models (bulk_create), for the compat API benchmark.

Each model is a realistic fixture item with fresh ids and varied statistics: two approved
versions, one file and one or two preview images per version, three tags, a creator among
500. Prints JSON with the row counts and the time it took.
"""

import hashlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 5000


def main(models: int) -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils.dateparse import parse_datetime

    call_command("migrate", verbosity=0)
    from _civitai_data import fixture_items

    from governance.catalog.models import (
        COMMERCIAL_USE_FIELDS,
        Creator,
        Hub,
        Image,
        Model,
        ModelFile,
        ModelVersion,
        Tag,
        VersionState,
    )

    started = time.perf_counter()
    items = fixture_items()
    creators = Creator.objects.bulk_create(
        [
            Creator(
                username=f"bench-creator-{i}",
                hub=Hub.CIVITAI,
                image_url=f"https://image.civitai.com/avatars/{i}.jpeg",
            )
            for i in range(500)
        ]
    )
    tags = Tag.objects.bulk_create([Tag(name=f"bench-tag-{i}") for i in range(60)])
    through = Model.tags.through
    counts = {"models": 0, "versions": 0, "files": 0, "images": 0, "tags": 0}
    for start in range(0, models, BATCH):
        batch = range(start, min(start + BATCH, models))
        rows = []
        for n in batch:
            doc = items[n % len(items)]
            stats = doc["stats"]
            rows.append(
                Model(
                    hub=Hub.CIVITAI,
                    external_id=str(2_000_000 + n),
                    name=f"{doc['name']} #{n}",
                    description=doc["description"],
                    type=doc["type"],
                    creator=creators[n % len(creators)],
                    nsfw=doc["nsfw"],
                    nsfw_level=doc["nsfwLevel"],
                    allow_no_credit=doc["allowNoCredit"],
                    allow_derivatives=doc["allowDerivatives"],
                    allow_different_license=doc["allowDifferentLicense"],
                    download_count=(stats["downloadCount"] * 7919 + n * 104729) % 5_000_000,
                    thumbs_up_count=(stats["thumbsUpCount"] * 31 + n * 7) % 200_000,
                    thumbs_down_count=stats["thumbsDownCount"],
                    favorite_count=stats["favoriteCount"],
                    comment_count=stats["commentCount"],
                    rating_count=stats["ratingCount"],
                    rating=stats["rating"],
                    **{
                        field: use.value in doc["allowCommercialUse"]
                        for use, field in COMMERCIAL_USE_FIELDS.items()
                    },
                )
            )
        created = Model.objects.bulk_create(rows, batch_size=BATCH)
        links = [
            through(model_id=m.pk, tag_id=tags[(m.pk * k) % len(tags)].pk)
            for m in created
            for k in (1, 7, 13)
        ]
        through.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)
        versions = []
        for m, n in zip(created, batch, strict=True):
            doc = items[n % len(items)]
            for index, hub_version in enumerate(doc["modelVersions"][:2]):
                versions.append(
                    ModelVersion(
                        model=m,
                        hub=Hub.CIVITAI,
                        external_id=str(20_000_000 + 2 * n + index),
                        state=VersionState.APPROVED,
                        name=hub_version["name"],
                        index=index,
                        base_model=hub_version["baseModel"],
                        base_model_type=hub_version.get("baseModelType") or "",
                        trained_words=hub_version["trainedWords"],
                        description=hub_version.get("description") or "",
                        nsfw_level=hub_version["nsfwLevel"],
                        published_at=parse_datetime(hub_version["publishedAt"]),
                        hub_created_at=parse_datetime(hub_version["createdAt"]),
                        hub_updated_at=parse_datetime(hub_version["updatedAt"]),
                        download_count=hub_version["stats"].get("downloadCount", 0),
                    )
                )
        versions = ModelVersion.objects.bulk_create(versions, batch_size=BATCH)
        files, images = [], []
        for v in versions:
            sha = hashlib.sha256(v.external_id.encode()).hexdigest().upper()
            files.append(
                ModelFile(
                    version=v,
                    hub=Hub.CIVITAI,
                    external_id=str(30_000_000 + v.pk),
                    primary=True,
                    name=f"model_{v.pk}.safetensors",
                    size_kb=144_000.5,
                    format="SafeTensor",
                    fp="fp16",
                    sha256=sha,
                    autov2=sha[:10],
                    crc32=sha[10:18],
                    blake3=sha[::-1],
                    download_url=f"https://civitai.com/api/download/models/{v.external_id}",
                    pickle_scan_result="Success",
                    virus_scan_result="Success",
                )
            )
            for position in range(1 + v.pk % 2):
                images.append(
                    Image(
                        version=v,
                        hub=Hub.CIVITAI,
                        external_id=str(40_000_000 + 2 * v.pk + position),
                        url=f"https://image.civitai.com/x/{v.pk}-{position}.jpeg",
                        width=832,
                        height=1216,
                        blurhash="U8Ex0s~q00of",
                        has_meta=True,
                        position=position,
                        meta={
                            "prompt": "a lighthouse at dusk, volumetric light",
                            "seed": v.pk,
                            "steps": 30,
                            "sampler": "DPM++ 2M",
                            "cfgScale": 5,
                        },
                    )
                )
        ModelFile.objects.bulk_create(files, batch_size=BATCH)
        Image.objects.bulk_create(images, batch_size=BATCH)
        counts["models"] += len(created)
        counts["versions"] += len(versions)
        counts["files"] += len(files)
        counts["images"] += len(images)
        counts["tags"] += len(links)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(json.dumps({**counts, "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main(int(sys.argv[1]))
