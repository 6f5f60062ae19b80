"""The ledger workbook opens in Excel as a user expects: real dates, safe text, readable widths."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timedelta, timezone

import openpyxl
import pytest

from handlers.xlsx import Column, Sheet, workbook

CST = timezone(timedelta(hours=8))
FORMULA = '=HYPERLINK("http://evil.example/","点我")'
LONG = "楼道里堆放的杂物很多，" * 10

CONCERNS = Sheet(
    title="台账",
    columns=[
        Column("id", "编号", "int"),
        Column("at", "报事时间", "datetime"),
        Column("on", "截止日期", "date"),
        Column("text", "内容"),
        Column("rate", "满意率", "percent"),
        Column("urgent", "急事", "bool"),
        Column("code", "code"),
    ],
    rows=[
        {"id": 1, "at": datetime(2026, 3, 2, 9, 5, tzinfo=CST), "on": date(2026, 3, 9),
         "text": "路灯不亮了请修", "rate": 0.75, "urgent": True, "code": "ABCDEFG"},
        {"id": 2, "at": None, "on": None, "text": FORMULA, "rate": None, "urgent": False, "code": "+1"},
        {"id": 3, "at": datetime(2026, 3, 3, 18, 30), "text": "响铃\x07了",
         "code": "-2+3"},
        {"id": 4, "text": LONG},
    ],
    note="导出时间 2026-03-10",
)
EMPTY = Sheet(title="台账", columns=[Column("id", "编号"), Column("name", "名称")], rows=[])
ODD = Sheet(title="[纠错]: a/b\\c*?" + "长" * 40, columns=[Column("x", "列")], rows=[{"x": "y"}])


@pytest.fixture(scope="module")
def data():
    return workbook([CONCERNS, EMPTY, ODD])


@pytest.fixture(scope="module")
def book(data):
    return openpyxl.load_workbook(io.BytesIO(data))


def test_headers_are_bold_frozen_and_filtered(book):
    ws = book["台账"]
    assert [c.value for c in ws[1]] == ["编号", "报事时间", "截止日期", "内容", "满意率", "急事", "code"]
    assert all(c.font.bold for c in ws[1])
    assert not ws["A2"].font.bold
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:G5"


def test_datetimes_are_real_dates_with_local_wall_clock(book):
    ws = book["台账"]
    assert ws["B2"].value == datetime(2026, 3, 2, 9, 5)  # tz-aware input keeps 09:05
    assert ws["B4"].value == datetime(2026, 3, 3, 18, 30)
    assert "yyyy" in ws["B2"].number_format and "hh:mm" in ws["B2"].number_format
    assert ws["C2"].value == datetime(2026, 3, 9)
    assert ws["C2"].number_format == "yyyy-mm-dd"


def test_numbers_percent_bool_and_none(book):
    ws = book["台账"]
    assert [ws.cell(row=r, column=1).value for r in range(2, 6)] == [1, 2, 3, 4]
    assert ws["E2"].value == 0.75 and ws["E2"].number_format == "0.0%"
    assert (ws["F2"].value, ws["F3"].value) == ("是", "否")
    for ref in ("B3", "C3", "E3", "C4", "E5", "F5", "G5"):
        assert ws[ref].value is None, ref


def test_formula_looking_text_stays_literal(book, data):
    ws = book["台账"]
    assert ws["D3"].value == FORMULA
    assert ws["D3"].data_type == "s"
    assert ws["D3"].quotePrefix
    assert (ws["G3"].value, ws["G3"].data_type) == ("+1", "s")
    assert (ws["G4"].value, ws["G4"].data_type) == ("-2+3", "s")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = b"".join(archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in xml and b"<f " not in xml


def test_control_characters_are_removed(book):
    assert book["台账"]["D4"].value == "响铃了"


def test_widths_count_chinese_double_and_wrap_long_text(book):
    ws = book["台账"]
    assert ws.column_dimensions["D"].width == 60  # the long text clamps the 内容 column
    assert ws["D5"].alignment.wrap_text
    assert not ws["G2"].alignment.wrap_text
    assert ws.column_dimensions["G"].width == 9  # "ABCDEFG" + 2


def test_chinese_column_wider_than_ascii_column_of_same_length():
    sheet = Sheet("w", [Column("zh", "内容"), Column("en", "text")],
                  [{"zh": "路灯不亮了请修", "en": "ABCDEFG"}])
    ws = openpyxl.load_workbook(io.BytesIO(workbook([sheet])))["w"]
    assert ws.column_dimensions["A"].width == 16  # 7 wide characters count 14, + 2
    assert ws.column_dimensions["B"].width == 9
    assert ws.column_dimensions["A"].width > ws.column_dimensions["B"].width


def test_fixed_width_and_minimum_width():
    sheet = Sheet("w", [Column("a", "甲", width=30), Column("b", "b")], [{"a": "x", "b": "y"}])
    ws = openpyxl.load_workbook(io.BytesIO(workbook([sheet])))["w"]
    assert ws.column_dimensions["A"].width == 30
    assert ws.column_dimensions["B"].width == 6


def test_note_two_rows_below_data(book):
    ws = book["台账"]
    assert ws["A7"].value == "导出时间 2026-03-10"
    assert ws["A6"].value is None
    assert ws.max_row == 7


def test_empty_sheet_has_header_only(book):
    ws = book.worksheets[1]
    assert ws.max_row == 1
    assert [c.value for c in ws[1]] == ["编号", "名称"]
    assert ws.auto_filter.ref == "A1:B1"


def test_sheet_titles_are_valid_and_unique(book):
    first, second, third = book.sheetnames
    assert first == "台账"
    assert second != first and second.startswith("台账")
    assert len(third) <= 31
    assert not set("[]:*?/\\") & set(third)
    assert third.startswith("纠错 abc")


def test_duplicate_titles_after_trimming_stay_unique():
    long = "长" * 40
    names = openpyxl.load_workbook(io.BytesIO(workbook(
        [Sheet(long, [], []), Sheet(long, [], []), Sheet("", [], []), Sheet("///", [], [])],
    ))).sheetnames
    assert len(set(n.casefold() for n in names)) == 4
    assert all(0 < len(n) <= 31 for n in names)


def test_no_sheets_is_an_error():
    with pytest.raises(ValueError):
        workbook([])


def test_values_that_do_not_fit_their_kind_are_written_as_text():
    sheet = Sheet("k", [Column("at", "时间", "datetime"), Column("n", "数", "float")],
                  [{"at": date(2026, 3, 2), "n": float("nan")}, {"at": "待定", "n": "约3"}])
    ws = openpyxl.load_workbook(io.BytesIO(workbook([sheet])))["k"]
    assert ws["A2"].value == datetime(2026, 3, 2) and ws["A2"].number_format == "yyyy-mm-dd"
    assert (ws["B2"].value, ws["A3"].value, ws["B3"].value) == ("nan", "待定", "约3")
