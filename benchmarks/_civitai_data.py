"""Synthetic CivitAI model documents for the benchmarks: the demo fixture's 67 realistic
items, cloned with fresh ids (models, versions, files and images) as many times as needed."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[1] / "governance/demo/fixtures/demo_catalog.json"


def fixture_items() -> list[dict]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))["items"]


def synthetic_models(count: int) -> Iterator[dict]:
    """``count`` model documents with unique ids; names and stats vary so sorts are real."""
    base = fixture_items()
    version_id = file_id = image_id = 10_000_000
    for n in range(count):
        document = copy.deepcopy(base[n % len(base)])
        document["id"] = 1_000_000 + n
        document["name"] = f"{document['name']} #{n}"
        document["mode"] = None  # every one listed
        stats = document["stats"]
        stats["downloadCount"] = (stats["downloadCount"] * 7919 + n * 104729) % 5_000_000
        stats["thumbsUpCount"] = (stats["thumbsUpCount"] * 31 + n * 7) % 200_000
        for version in document["modelVersions"]:
            version_id += 1
            version["id"] = version_id
            for file in version["files"]:
                file_id += 1
                file["id"] = file_id
            for image in version["images"]:
                image_id += 1
                image["id"] = image_id
        yield document
