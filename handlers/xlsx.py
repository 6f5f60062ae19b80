"""A small, platform-neutral .xlsx writer for exports such as the ledger (台账), streamed.

Each ``Sheet`` gets its header in row 1 (bold, frozen, with an autofilter over header and
data), one row per dict, and an optional note two rows below the last data row. Rows may be a
list or any iterable (a generator reading the database): openpyxl's write-only mode streams
each row to a temporary file as it comes, so a sheet of a million rows takes no more memory
than one of a hundred. Column widths come from the header and the first ``SAMPLE`` rows
(Excel needs them before the first row is written).

Values by ``Column.kind``: ``datetime``/``date`` become real Excel dates; ``percent`` is a
fraction (0.75 shows as 75.0%); ``int``/``float`` are numbers; ``bool`` is 是/否; ``None`` is
an empty cell. A value that does not fit its kind (or NaN) is written as text. **Callers pass local
times**: a timezone-aware datetime keeps its wall-clock time and loses its tzinfo, because
Excel has no time zones. Text is never evaluated as a formula ("=HYPERLINK(…)" stays
literal), and XML control characters are dropped. A column holding text wider than
``MAX_WIDTH`` (or a cell with a line break) wraps.

openpyxl is imported inside ``write()`` so importing ``handlers`` does not pay for it.
"""
from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from itertools import chain, islice
from typing import BinaryIO

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # as openpyxl's ILLEGAL_CHARACTERS_RE
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMATS = {"datetime": "yyyy-mm-dd hh:mm", "date": "yyyy-mm-dd", "percent": "0.0%"}
MIN_WIDTH, MAX_WIDTH, PADDING = 6, 60, 2
SAMPLE = 1000  # rows read before the column widths are fixed


@dataclass(frozen=True)
class Column:
    key: str                    # key in each row dict
    header: str                 # header text, e.g. "编号", "报事时间"
    kind: str = "text"          # text | int | float | datetime | date | percent | bool
    width: float | None = None  # Excel character units; None = computed from content


@dataclass(frozen=True)
class Sheet:
    title: str                  # made valid (31 chars, no []:*?/\) and unique
    columns: list[Column]
    rows: Iterable[dict]        # str | int | float | None | datetime | date | bool; read once
    note: str = ""              # placed two rows below the last data row


def _clean(text: str) -> str:
    return _CONTROL.sub("", text)  # openpyxl raises IllegalCharacterError on these


def _display_width(text: str) -> int:
    """Longest line, East Asian wide/fullwidth characters counting 2."""
    return max((sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in line)
                for line in text.split("\n")), default=0)


def _convert(value, kind: str):
    """(cell value or None, shown text, number format or None); text values stay str."""
    if value is None:
        return None, "", None
    if kind in ("datetime", "date") and isinstance(value, date):
        if isinstance(value, datetime):
            value = value.replace(tzinfo=None)  # the caller passed local time: keep the wall clock
            value = value.date() if kind == "date" else value
        timed = isinstance(value, datetime)
        shown = value.strftime("%Y-%m-%d %H:%M") if timed else value.isoformat()
        return value, shown, _FORMATS["datetime" if timed else "date"]
    if kind == "bool" and isinstance(value, bool):
        text = "是" if value else "否"
        return text, text, None
    numeric = (isinstance(value, (int, float)) and not isinstance(value, bool)
               and math.isfinite(value))
    if kind == "percent" and numeric:
        return value, f"{value:.1%}", _FORMATS[kind]
    if kind in ("int", "float") and numeric:
        return value, f"{value:.10g}" if isinstance(value, float) else str(value), None
    text = _clean(str(value))
    return text, text, None


def _titles(sheets: list[Sheet]) -> list[str]:
    taken: set[str] = set()
    titles = []
    for number, sheet in enumerate(sheets, start=1):
        base = _clean(_BAD_TITLE.sub("", sheet.title)).strip().strip("'")[:31] or f"Sheet{number}"
        title, n = base, 1
        while title.casefold() in taken or title.casefold() == "history":  # Excel reserves it
            n += 1
            suffix = f"({n})"
            title = base[:31 - len(suffix)] + suffix
        taken.add(title.casefold())
        titles.append(title)
    return titles


def workbook(sheets: list[Sheet], *, made: datetime | None = None) -> bytes:
    """An .xlsx file as bytes (for small files; ``write`` streams to disk)."""
    out = io.BytesIO()
    write(sheets, out, made=made)
    return out.getvalue()


def write(sheets: list[Sheet], target: str | BinaryIO, *, made: datetime | None = None) -> list[int]:
    """Write the workbook to ``target`` (a path or a binary file), streaming each sheet's rows;
    return how many data rows each sheet got. ``made`` (local time) is its creation time in the
    file's properties, so the same data and time give the same file."""
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    from zipfile import ZIP_DEFLATED, ZipFile

    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    book = Workbook(write_only=True)
    counts = [_sheet(book, sheet, title) for sheet, title in zip(sheets, _titles(sheets))]
    if made is not None:  # openpyxl's save stamps "modified" with the clock; its writer leaves it as given
        book.properties.created = book.properties.modified = made.replace(tzinfo=None, microsecond=0)
    else:
        book.properties.modified = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    with ZipFile(target, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(book, archive).save()
    return counts


def _sheet(book, sheet: Sheet, title: str) -> int:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws = book.create_sheet(title)
    columns = sheet.columns
    rows = iter(sheet.rows)
    head = [[_convert(row.get(c.key), c.kind) for c in columns] for row in islice(rows, SAMPLE)]
    headers = [_clean(c.header) for c in columns]
    longest = [max([_display_width(h), *(_display_width(r[i][1]) for r in head)]) for i, h in enumerate(headers)]
    wrapped = [n > MAX_WIDTH for n in longest]  # the whole column wraps, as Excel users expect
    for i, column in enumerate(columns):
        width = column.width if column.width is not None else min(max(longest[i] + PADDING, MIN_WIDTH), MAX_WIDTH)
        ws.column_dimensions[get_column_letter(i + 1)].width = width
    ws.freeze_panes = "A2"
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")

    styled: dict[tuple, WriteOnlyCell] = {}  # one styled cell per column and style, reused row after row

    def cell(value, shown: str, number_format, column: int):
        if value is None:
            return None
        text = isinstance(value, str)
        quoted = text and value.startswith(_FORMULA_START)
        wraps = text and (wrapped[column] or "\n" in shown or (
            len(shown) > MAX_WIDTH // 2 and _display_width(shown) > MAX_WIDTH))
        if number_format is None and not quoted and not wraps:
            return value  # numbers and ordinary text: no cell object needed
        key = (column, number_format, quoted, wraps)
        out = styled.get(key)
        if out is None:  # each row is written as it is appended, so the next row may reuse it
            out = styled[key] = WriteOnlyCell(ws)
            if quoted:
                out.quotePrefix = True  # stays literal even when edited in Excel
            if number_format:
                out.number_format = number_format
            if wraps:  # Excel shows line breaks only in wrapped cells
                out.alignment = wrap
        out.value = value
        if text:
            out.data_type = "s"  # never a formula, whatever the text starts with
        return out

    def literal(text: str, font=None):
        out = WriteOnlyCell(ws, text)
        out.data_type = "s"
        if text.startswith(_FORMULA_START):
            out.quotePrefix = True
        if font is not None:
            out.font = font
        return out

    ws.append([literal(h, bold) for h in headers])
    count = 0
    converted = chain(head, ([_convert(row.get(c.key), c.kind) for c in columns] for row in rows))
    for values in converted:
        ws.append([cell(v, shown, fmt, i) for i, (v, shown, fmt) in enumerate(values)])
        count += 1
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    if sheet.note:
        ws.append([])
        ws.append([literal(_clean(sheet.note))])
    return count
