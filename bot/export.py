"""Writing the ledger as JSON or CSV (the spreadsheet form comes with the coordinators' reports)."""
from __future__ import annotations

import csv
import io
import json

from handlers.ledger import FIELDS


def to_json(rows: list[dict]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=2)


def to_csv(rows: list[dict]) -> str:
    """One line per concern; ``sources`` holds the folded messages as a JSON list.

    Cells a spreadsheet would run as a formula (starting with = + - @) get a leading ' .
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        cells = {**row, "sources": json.dumps(row["sources"], ensure_ascii=False)}
        writer.writerow({k: _inert(v) for k, v in cells.items()})
    return buffer.getvalue()


def _inert(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
