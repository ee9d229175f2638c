"""Compliance reports as CSV (for auditors' spreadsheets) and the text of a NOTICE file.

A text cell a spreadsheet would run as a formula (starting with ``= + - @``, tab or CR)
gets a leading ``'``; the JSON form is never altered.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

REPORT_COLUMNS = [
    "team",
    "request_id",
    "request_state",
    "version_id",
    "version_state",
    "model",
    "version",
    "model_type",
    "base_model",
    "hub",
    "licenses",
    "intended_use",
    "verdict",
    "evaluated_verdict",
    "decision",
    "violation",
    "requires_credit",
    "obligations",
    "reasons",
    "source_url",
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        value = " | ".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def report_csv_rows(report: dict) -> Iterator[list[str]]:
    for row in report["rows"]:
        yield [_cell(row.get(column)) for column in REPORT_COLUMNS]


def report_csv(report: dict) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(REPORT_COLUMNS)
    writer.writerows(report_csv_rows(report))
    return buffer.getvalue()
