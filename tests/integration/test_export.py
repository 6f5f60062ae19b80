"""``shangliang export``: the ledger (台账) of a real SQLite database, as JSON and CSV."""
from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from pathlib import Path

from sqlalchemy import func, select, text

from bot.cli import main
from handlers.ledger import FIELDS
from storage.db import make_engine
from storage.models import Concern

from ..harness import Harness

ROOT_DIR = Path(__file__).resolve().parents[2]

PHONE = "13912345678"
PHONE_SPACED = "139 0000 5621"
LANDLINE = "021-62345678"


@pytest.fixture
def engine(sqlite_engine):
    """This module drives a file SQLite database (the export reads it by URL)."""
    return sqlite_engine


@pytest.fixture
def url(engine) -> str:
    return str(engine.url)


@pytest.fixture
def driven(h: Harness):
    """Three concerns: #1 supported twice, decided and resolved; #2 anonymous with one
    supporter; #3 just reported (by a newcomer)."""
    _, sent = h.say("grid-1", "wang", f"#报事 3栋门口路灯坏了，我的电话 {PHONE}")
    assert any("#1" in m.text for m in sent)
    report_id = h.last_message_id()
    h.advance(timedelta(minutes=10))
    h.say("grid-1", "li", "+1", reply_to=report_id)
    h.advance(timedelta(minutes=10))
    h.say("grid-1", "zhang", "/附议 1")
    h.advance(timedelta(minutes=10))
    h.say("private", "chen", f"/report 匿名 5栋楼下有人飞线充电，太危险了，电话 {PHONE_SPACED}")
    h.advance(timedelta(minutes=10))
    h.say("grid-1", "li", "/support 2")
    h.advance(timedelta(minutes=10))
    h.say("committee", "liu", "/claim 1")
    h.advance(timedelta(minutes=10))
    h.say("committee", "liu", f"/decide 1 联系电工 {LANDLINE} 本周更换灯泡")
    h.advance(timedelta(hours=2))
    h.say("committee", "liu", "/resolve 1 已更换")
    h.advance(timedelta(minutes=10))
    h.say("grid-2", "newbie", "#报事 小区东门垃圾没人清")
    with h.app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Concern)) == 3
    return h


def export(capsys, url: str, *extra: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main(["export", "--database", url, *extra])
    out, err = capsys.readouterr()
    return rc, out, err


def export_json(capsys, url: str, *extra: str) -> list[dict]:
    rc, out, err = export(capsys, url, "--format", "json", *extra)
    assert rc == 0, err
    return json.loads(out)


def test_json_export_holds_every_concern_with_its_fields(capsys, url, driven):
    rows = export_json(capsys, url)
    assert [r["number"] for r in rows] == [1, 2, 3]
    for row in rows:
        assert list(row) == list(FIELDS)
    one, two, three = rows

    assert (one["grid"], one["category"], one["size"], one["state"]) == ("grid-1", "公共设施", "small", "resolved")
    assert one["reporter"] == "wang" and one["anonymous"] is False
    assert one["supports"] == 2
    assert one["created_at"] == "2026-03-02T09:00:00+08:00"
    assert one["claimed_at"] == "2026-03-02T09:50:00+08:00"
    assert one["first_response_at"] == "2026-03-02T09:50:00+08:00"
    assert one["decided_at"] == "2026-03-02T10:00:00+08:00"
    assert one["resolved_at"] == "2026-03-02T12:00:00+08:00"
    assert one["closed_at"] == ""
    assert one["outcome"].startswith("联系电工") and "本周更换灯泡" in one["outcome"]
    assert [(s["kind"], s["chat"], s["sender"], s["event_id"], s["at"]) for s in one["sources"]] == [
        ("report", "grid-1", "wang", "m1", "2026-03-02T09:00:00+08:00"),
        ("support", "grid-1", "li", "m2", "2026-03-02T09:10:00+08:00"),
        ("support", "grid-1", "zhang", "m3", "2026-03-02T09:20:00+08:00"),
    ]
    assert one["sources"][1]["text"] == "+1"

    assert (two["grid"], two["category"], two["state"]) == ("grid-1", "安全隐患", "reported")
    assert two["anonymous"] is True and two["reporter"] == ""
    assert two["supports"] == 1
    assert two["outcome"] == "" and two["claimed_at"] == ""
    report, support = two["sources"]
    # the anonymous reporter's own message is stripped of who and where; the supporter is not
    assert (report["kind"], report["chat"], report["sender"], report["event_id"]) == ("report", "", "", "m4")
    assert (support["kind"], support["chat"], support["sender"], support["event_id"]) == (
        "support", "grid-1", "li", "m5")

    assert (three["grid"], three["reporter"], three["supports"], three["state"]) == ("grid-2", "newbie", 0, "reported")
    assert [(s["kind"], s["chat"], s["sender"]) for s in three["sources"]] == [("report", "grid-2", "newbie")]


def test_phone_numbers_are_masked_everywhere(capsys, url, driven):
    rc, out_json, _ = export(capsys, url, "--format", "json")
    assert rc == 0
    rc, out_csv, _ = export(capsys, url, "--format", "csv")
    assert rc == 0
    for out in (out_json, out_csv):
        assert PHONE not in out and PHONE_SPACED not in out and "62345678" not in out
        assert "5621" in out  # masked, not dropped
    rows = json.loads(out_json)
    assert "139****5678" in rows[0]["text"] and "139****5678" in rows[0]["sources"][0]["text"]
    assert "139****5621" in rows[1]["text"] and "139****5621" in rows[1]["sources"][0]["text"]
    assert "021-****78" in rows[0]["outcome"]
    # the original stays in the database for coordinators
    with driven.app.sessions() as session:
        assert PHONE in session.get(Concern, 1).text


def test_anonymous_reporter_identity_is_nowhere_in_the_export(capsys, url, driven):
    rows = export_json(capsys, url)
    assert "chen" not in json.dumps(rows[1], ensure_ascii=False)
    assert "陈奶奶" not in json.dumps(rows, ensure_ascii=False)


def test_hide_reporters_blanks_every_reporter_and_source_sender(capsys, url, driven):
    rows = export_json(capsys, url, "--hide-reporters")
    assert [r["number"] for r in rows] == [1, 2, 3]
    for row in rows:
        assert row["reporter"] == ""
        assert row["sources"]
        for source in row["sources"]:
            assert source["sender"] == "" and source["chat"] == ""
            assert source["event_id"]  # still traceable to the message, just not to the person
    dumped = json.dumps(rows, ensure_ascii=False)
    for handle in ("wang", "li", "zhang", "chen", "newbie"):
        assert f'"{handle}"' not in dumped
    assert rows[0]["supports"] == 2  # counts stay


def test_csv_export_has_a_header_and_one_line_per_concern(capsys, url, driven):
    rc, out, err = export(capsys, url, "--format", "csv")
    assert rc == 0, err
    reader = csv.DictReader(io.StringIO(out))
    assert tuple(reader.fieldnames) == FIELDS
    rows = list(reader)
    assert [r["number"] for r in rows] == ["1", "2", "3"]
    assert [r["state"] for r in rows] == ["resolved", "reported", "reported"]
    assert [r["reporter"] for r in rows] == ["wang", "", "newbie"]
    assert [r["supports"] for r in rows] == ["2", "1", "0"]
    assert rows[0]["created_at"] == "2026-03-02T09:00:00+08:00"
    sources = json.loads(rows[0]["sources"])
    assert [(s["sender"], s["event_id"], s["chat"]) for s in sources] == [
        ("wang", "m1", "grid-1"), ("li", "m2", "grid-1"), ("zhang", "m3", "grid-1")]
    assert json.loads(rows[1]["sources"])[0]["sender"] == ""

    rc, hidden, _ = export(capsys, url, "--format", "csv", "--hide-reporters")
    assert rc == 0
    hidden_rows = list(csv.DictReader(io.StringIO(hidden)))
    assert [r["reporter"] for r in hidden_rows] == ["", "", ""]
    assert all(s["sender"] == "" for r in hidden_rows for s in json.loads(r["sources"]))


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_output_writes_the_same_body_to_a_file(capsys, url, driven, tmp_path, fmt):
    rc, to_stdout, _ = export(capsys, url, "--format", fmt)
    assert rc == 0
    target = tmp_path / f"ledger.{fmt}"
    rc, out, err = export(capsys, url, "--format", fmt, "--output", str(target))
    assert rc == 0, err
    assert out == ""
    assert target.read_text("utf-8") == to_stdout


def test_export_leaves_the_concerns_untouched(capsys, url, driven):
    before = export_json(capsys, url)
    again = export_json(capsys, url)
    assert again == before
    with driven.app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Concern)) == 3


def test_export_of_a_database_without_concerns(capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'empty' / 'ledger.db'}"
    assert export_json(capsys, url) == []
    rc, out, _ = export(capsys, url, "--format", "csv")
    assert rc == 0 and out == ",".join(FIELDS) + "\n"


def test_export_writes_nothing_to_the_database(capsys, tmp_path):
    """Exporting is read-only: no migration, no directory sync, no digest scheduled."""
    url = f"sqlite:///{tmp_path / 'ro.db'}"
    assert main(["replay", str(ROOT_DIR / "examples" / "week-in-a-grid.jsonl"), "--config",
                 str(ROOT_DIR / "config.example.toml"), "--database", url]) == 0
    capsys.readouterr()
    engine = make_engine(url)
    counts = "SELECT (SELECT count(*) FROM scheduled_jobs), (SELECT count(*) FROM people), (SELECT count(*) FROM outbox)"
    with engine.connect() as connection:
        before = connection.execute(text(counts)).one()
    assert main(["export", "--format", "json", "--database", url]) == 0
    with engine.connect() as connection:
        after = connection.execute(text(counts)).one()
    engine.dispose()
    assert after == before
