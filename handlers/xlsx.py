"""A small, platform-neutral .xlsx writer for exports such as the ledger (台账).

Each ``Sheet`` gets its header in row 1 (bold, frozen, with an autofilter over header and
data), one row per dict, and an optional note two rows below the last data row.

Values by ``Column.kind``: ``datetime``/``date`` become real Excel dates; ``percent`` is a
fraction (0.75 shows as 75.0%); ``int``/``float`` are numbers; ``bool`` is 是/否; ``None`` is
an empty cell. A value that does not fit its kind (or NaN) is written as text. **Callers pass local
times**: a timezone-aware datetime keeps its wall-clock time and loses its tzinfo, because
Excel has no time zones. Text is never evaluated as a formula ("=HYPERLINK(…)" stays
literal), and XML control characters are dropped.

openpyxl is imported inside ``workbook()`` so importing ``handlers`` does not pay for it.
"""
from __future__ import annotations

import io
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # as openpyxl's ILLEGAL_CHARACTERS_RE
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMATS = {"datetime": "yyyy-mm-dd hh:mm", "date": "yyyy-mm-dd", "percent": "0.0%"}
MIN_WIDTH, MAX_WIDTH, PADDING = 6, 60, 2


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
    rows: list[dict]            # str | int | float | None | datetime | date | bool
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
    """An .xlsx file as bytes; ``made`` (local time) is its creation time in the file's
    properties, so the same data and time give the same file."""
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    def put(ws, row: int, column: int, value, number_format=None):
        cell = ws.cell(row=row, column=column)
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, whatever the text starts with
            if value.startswith(_FORMULA_START):
                cell.quotePrefix = True  # stays literal even when edited in Excel
        if number_format:
            cell.number_format = number_format
        return cell

    book = Workbook()
    book.remove(book.active)
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    for sheet, title in zip(sheets, _titles(sheets)):
        ws = book.create_sheet(title)
        for c, column in enumerate(sheet.columns, start=1):
            header = _clean(column.header)
            put(ws, 1, c, header).font = bold
            widths = [_display_width(header)]
            cells = []  # (cell, shown text)
            for r, row in enumerate(sheet.rows, start=2):
                value, shown, number_format = _convert(row.get(column.key), column.kind)
                cells.append((put(ws, r, c, value, number_format), shown))
                widths.append(_display_width(shown))
            long = max(widths) > MAX_WIDTH
            for cell, shown in cells:
                if long or "\n" in shown:  # Excel shows line breaks only in wrapped cells
                    cell.alignment = wrap
            width = column.width
            if width is None:
                width = min(max(max(widths) + PADDING, MIN_WIDTH), MAX_WIDTH)
            ws.column_dimensions[get_column_letter(c)].width = width
        ws.freeze_panes = "A2"
        if sheet.columns:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{len(sheet.rows) + 1}"
        if sheet.note:
            put(ws, len(sheet.rows) + 3, 1, _clean(sheet.note))
    out = io.BytesIO()
    if made is None:
        book.save(out)
    else:  # openpyxl's save stamps "modified" with the clock; its writer leaves it as given
        from zipfile import ZIP_DEFLATED, ZipFile

        from openpyxl.writer.excel import ExcelWriter
        book.properties.created = book.properties.modified = made.replace(tzinfo=None, microsecond=0)
        ExcelWriter(book, ZipFile(out, "w", ZIP_DEFLATED, allowZip64=True)).save()
    return out.getvalue()
