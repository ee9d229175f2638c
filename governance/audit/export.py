"""The audit log as CSV or JSON, produced a line at a time for files and HTTP responses.

JSON is the exact form: every field the hash covers, spelled as the hash spells it, and how
the hash was made (``hash_algorithm``), so a copy can be verified outside Hubgate by whoever
holds ``HUBGATE_AUDIT_KEY``. CSV is for spreadsheets: a text cell that a
spreadsheet would run as a formula (starting with ``= + - @``, tab or CR) gets a leading
``'``, which the JSON export never alters.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .models import AuditEntry, canonical_json, iso_utc

FIELDS = [
    "id",
    "created_at",
    "actor_id",
    "actor_repr",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "before",
    "after",
    "request_id",
    "prev_hash",
    "hash",
    "hash_algorithm",
]

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def entry_as_dict(entry: AuditEntry) -> dict[str, Any]:
    """One entry's exported fields; ``created_at`` in the chain's ISO-8601 UTC spelling."""
    return {
        "id": entry.pk,
        "created_at": iso_utc(entry.created_at),
        "actor_id": entry.actor_id,
        "actor_repr": entry.actor_repr,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "before": entry.before,
        "after": entry.after,
        "request_id": entry.request_id,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
        "hash_algorithm": entry.hash_algorithm,
    }


def export_json(entries: Iterable[AuditEntry]) -> Iterator[str]:
    """A JSON array, one entry per line."""
    yield "["
    separator = "\n"
    for entry in entries:
        yield separator + json.dumps(entry_as_dict(entry), ensure_ascii=False)
        separator = ",\n"
    yield "\n]\n"


class _Line:
    """A file-like sink for csv.writer that hands back each line it is given."""

    def write(self, value: str) -> str:
        return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return canonical_json(value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_csv(entries: Iterable[AuditEntry]) -> Iterator[str]:
    """CSV with a header row; ``before``/``after`` as canonical JSON text."""
    writer = csv.writer(_Line())
    yield writer.writerow(FIELDS)
    for entry in entries:
        row = entry_as_dict(entry)
        yield writer.writerow([_csv_cell(row[name]) for name in FIELDS])


EXPORTERS: dict[str, Callable[[Iterable[AuditEntry]], Iterator[str]]] = {
    "csv": export_csv,
    "json": export_json,
}
