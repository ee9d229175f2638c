"""A plain version snapshot for scorer tests; ``version(**changes)`` varies it."""

import dataclasses
from datetime import UTC, datetime

from governance.hookspecs import VersionSnapshot

BASE = VersionSnapshot(
    id=1,
    model_id=1,
    model_name="Inkwash",
    model_type="LORA",
    name="v1",
    base_model="SDXL 1.0",
    description="",
    model_description="",
    trained_words=(),
    tags=(),
    file_count=1,
    has_primary_file=True,
    hashed_file_count=1,
    image_count=1,
    images_with_meta=0,
    license_flags_set=True,
    published_at=datetime(2026, 1, 1, tzinfo=UTC),
)


def version(**changes) -> VersionSnapshot:
    return dataclasses.replace(BASE, **changes)
