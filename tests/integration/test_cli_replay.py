"""``shangliang replay``: the shipped week-in-a-grid scenario through the real CLI.

The CLI runs in-process (``bot.cli.main``) with its output captured, and once as a real
subprocess through the installed entry point. Only the clock is simulated; the database is
a real SQLite file (or a fresh PostgreSQL schema where stated).
"""
from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot.cli import main
from storage.db import make_engine, session_factory
from storage.models import Concern

from ..conftest import PG_URL

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "examples" / "week-in-a-grid.jsonl"
CONFIG = ROOT / "config.example.toml"
JSON_KEYS = {"at", "to", "text", "kind"}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()  # drop anything printed before
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def replay(capsys, *extra: str, scenario: Path = SCENARIO) -> tuple[int, str, str]:
    return run(capsys, "replay", scenario, "--config", CONFIG, *extra)


@functools.cache
def example(*extra: str) -> str:
    """The shipped scenario's output with these options (computed once per test session)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(["replay", str(SCENARIO), "--config", str(CONFIG), *extra])
    assert rc == 0, err.getvalue()
    return out.getvalue()


def blocks(transcript: str) -> list[tuple[str, str]]:
    """The transcript as (head line, message body) pairs."""
    out: list[tuple[str, list[str]]] = []
    for line in transcript.splitlines():
        if line.startswith("["):
            out.append((line, []))
        elif line.startswith("    "):
            out[-1][1].append(line[4:])
    return [(head, "\n".join(body)) for head, body in out]


def json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def write_scenario(path: Path, lines: list[str | dict]) -> Path:
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
                    "utf-8")
    return path


# --- the transcript ------------------------------------------------------------------------


def test_replay_prints_every_step_of_the_loop():
    out = example()
    msgs = blocks(out)
    assert msgs, out

    def find(head_part: str, body_part: str) -> list[tuple[str, str]]:
        return [(h, b) for h, b in msgs if head_part in h and body_part in b]

    # acknowledgement of #1 in the grid, threaded to the report, and the committee card
    ack = find("→ grid-1 (↩ e1)", "已登记 #1")
    assert len(ack) == 1 and ack[0][0].startswith("[2026-03-02 09:15]")
    card = find("→ committee", "新报事 #1")
    assert len(card) == 1 and "报事人：王阿姨" in card[0][1] and "/claim 1" in card[0][1]
    # supports fold into #1
    assert find("(↩ e2)", "已附议 #1，现有 2 人") and find("(↩ e3)", "已附议 #1，现有 3 人")
    # a resident may not claim; a member does, and the reporter and supporters hear of it
    assert find("(↩ e4)", "只有委员可以接单")
    assert find("→ committee (↩ e5)", "您已接单 #1")
    for who in ("@wang", "@li", "@zhang"):
        assert find(f"[2026-03-02 10:30] → {who}", "#1 已由委员 刘委员 接单")
    # 大事 cannot be decided before deliberation
    assert find("→ committee (↩ e20)", "#3 是大事，须先经委员会协商")
    # the poll card, its result, and the decision that follows it
    poll = find("[2026-03-03 09:40] → committee", "协商 #3：是否支持3栋申请加装电梯")
    assert len(poll) == 1 and "1. 同意" in poll[0][1] and "3. 需要再调研" in poll[0][1]
    result = find("[2026-03-05 09:40] → committee", "#3 协商结束")
    assert len(result) == 1 and "同意 3，反对 0" in result[0][1] and "结果：同意" in result[0][1]
    assert find("→ committee (↩ e33)", "#3 已形成方案：同意3栋申请加装电梯")
    # decision, assignment, progress, resolution of #1
    assert find("→ committee (↩ e7)", "#1 已形成方案：联系电工")
    assigned = find("[2026-03-02 11:05] → @zhao", "您被指派办理 #1")
    assert len(assigned) == 1 and "/resolve 1" in assigned[0][1]
    assert find("→ committee (↩ e8)", "#1 由委员 赵委员 负责办理")
    assert find("→ committee (↩ e28)", "#1 办理进展：灯泡已采购")
    assert find("→ committee (↩ e29)", "#1 已办结：3栋门口路灯已更换灯泡")
    # the survey ask, 24h after the resolution, privately to reporter and supporters
    for who in ("@wang", "@li", "@zhang"):
        assert find(f"[2026-03-05 17:00] → {who}", "#1「3栋门口路灯坏了一周了")
    # a dissatisfied answer without a reason is refused; with one it reopens #1
    assert find("→ @wang (↩ e36)", "不满意请说明原因")
    reopened = find("[2026-03-05 19:01] → committee", "#1 有居民不满意，已重新打开")
    assert len(reopened) == 1 and "只亮了一个晚上" in reopened[0][1]
    # the six steps: the plan on public notice in the grid, then the residents' vote, then 提案
    assert find("[2026-03-05 10:00] → grid-1", "张榜公示 #3")
    assert find("[2026-03-08 10:00] → grid-1", "居民表决 #3")
    assert find("→ committee (↩ e51)", "只有 幸福里网格 的居民可以参加这次居民表决")
    assert find("[2026-03-11 10:00] → grid-1", "#3 居民表决通过（4 人投票：同意 3，反对 1）")
    assert find("→ committee (↩ e53)", "#3 已转化为提案：关于幸福里3栋加装电梯的提案")
    # the daily digest, at 08:30, to the coordinators, every day of the week
    digests = [h for h, b in msgs if "→ coordinators" in h and b.startswith("📊")]
    assert [h[1:17] for h in digests] == [f"2026-03-{d:02d} 08:30" for d in range(3, 14)]
    weekly = find("[2026-03-09 08:30] → coordinators", "🗓 每周小结 2026-03-02~2026-03-08")
    assert len(weekly) == 1 and "响应率" in weekly[0][1] and "满意率" in weekly[0][1]
    # it ends with the figures, the members' record, a chart and the Excel ledger
    figures = find("→ coordinators (↩ e54)", "📈 统计 2026-03-01~2026-03-31")
    assert len(figures) == 1 and "转化：提案 1" in figures[0][1] and "满意率 66.7%（2/3）" in figures[0][1]
    assert find("→ coordinators (↩ e55)", "👥 履职清单 2026-03-01~2026-03-31")
    assert "📎 chart-2026-03-01~2026-03-31.png" in find("→ committee (↩ e56)", "每周事项与三率")[0][1]
    assert "📎 台账-2026-03-01~2026-03-31.xlsx" in find("→ @ma", "📎 台账 2026-03-01~2026-03-31")[0][1]
    assert find("→ coordinators (↩ e57)", "台账正在生成，完成后私信发给您")
    # the anonymous report's number is masked everywhere but in the coordinators' own chats
    for head, body in msgs:
        if "→ coordinators" not in head and "→ @ma" not in head:
            assert "139 0000 5621" not in body, head
    assert "139****5621" in out
    # the unbound group gets no answer
    assert "some-other-group" not in out and "未绑定" not in out


def test_replay_transcript_is_in_time_order_and_scheduled_work_runs_between_events():
    out = example("--json")
    items = json_lines(out)
    times = [datetime.fromisoformat(i["at"]) for i in items]
    assert times == sorted(times)
    # the urgent #2 resolved Monday 17:00 → its survey exactly 24h later, between events e26 and e27
    asks = [i for i in items if i["kind"] == "survey.ask" and i["concern"] == 2]
    assert [(a["to"], a["at"]) for a in asks] == [("@chen", "2026-03-03T17:00:00+08:00")]


def test_json_output_is_one_object_per_line():
    out = example("--json")
    lines = [line for line in out.splitlines() if line.strip()]
    items = [json.loads(line) for line in lines]  # every line parses on its own
    assert len(items) == len(blocks(example()))
    for item in items:
        assert isinstance(item, dict) and JSON_KEYS <= item.keys()
        datetime.fromisoformat(item["at"])
        assert item["at"].endswith("+08:00")
    first = items[0]
    assert (first["to"], first["kind"], first["concern"], first["reply_to"]) == ("grid-1", "reply:report.ack", 1, "e1")
    assert "已登记 #1" in first["text"]
    kinds = {i["kind"] for i in items}
    assert {"report.card", "deliberate.card", "poll.result", "survey.ask", "survey.reopened",
            "digest.body", "digest.quiet"} <= kinds


def test_ledger_csv_is_appended_after_the_transcript():
    out = example("--ledger", "csv")
    _, sep, ledger_part = out.partition("\nnumber,grid,")
    assert sep, "no CSV header after the transcript"
    # the transcript first, unchanged, then a blank line, then the CSV
    assert out.startswith(example() + "\nnumber,grid,")
    rows = list(csv.DictReader(io.StringIO("number,grid," + ledger_part)))
    by_number = {int(r["number"]): r for r in rows}
    assert sorted(by_number) == [1, 2, 3]
    assert {n: r["state"] for n, r in by_number.items()} == {1: "closed", 2: "closed", 3: "converted"}
    assert by_number[1]["reporter"] == "wang" and by_number[3]["reporter"] == "li"
    assert by_number[2]["reporter"] == "" and by_number[2]["anonymous"] == "True"
    assert by_number[1]["supports"] == "2" and by_number[1]["reopen_count"] == "1"
    assert by_number[2]["size"] == "urgent" and by_number[3]["size"] == "big"
    assert by_number[1]["closed_at"] == "2026-03-07T17:30:00+08:00"
    assert by_number[3]["outcome"].startswith("同意3栋申请加装电梯")
    assert "139 0000 5621" not in out.partition("\nnumber,grid,")[2]  # never in the ledger
    assert "139****5621" in by_number[2]["text"]

    sources = {n: json.loads(r["sources"]) for n, r in by_number.items()}
    assert [s["event_id"] for s in sources[1]] == ["e1", "e2", "e3"]
    assert [(s["kind"], s["sender"], s["chat"]) for s in sources[1]] == [
        ("report", "wang", "grid-1"), ("support", "li", "grid-1"), ("support", "zhang", "grid-1")]
    assert [s["event_id"] for s in sources[2]] == ["e9"]
    assert sources[2][0]["sender"] == "" and "chen" not in json.dumps(sources[2])
    assert [s["event_id"] for s in sources[3]] == ["e17"]


def test_ledger_json_after_the_transcript():
    out = example("--ledger", "json")
    ledger = json.loads(out[out.index("\n[\n") + 1:])
    assert [(r["number"], r["state"]) for r in ledger] == [(1, "closed"), (2, "closed"), (3, "converted")]


# --- the database -------------------------------------------------------------------------


def count_concerns(url: str) -> int:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return session.scalar(select(func.count()).select_from(Concern))
    finally:
        engine.dispose()


def test_replay_into_a_non_empty_database_needs_reset(capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'db' / 'replay.db'}"
    rc, first, err = replay(capsys, "--database", url)
    assert rc == 0, err
    assert count_concerns(url) == 3

    rc, out, err = replay(capsys, "--database", url)
    assert rc == 2
    assert out == ""
    assert "--reset" in err and "already holds data" in err
    assert "Traceback" not in err
    assert count_concerns(url) == 3  # untouched

    rc, again, err = replay(capsys, "--database", url, "--reset")
    assert rc == 0, err
    assert again == first  # numbered from #1 again, same transcript
    assert count_concerns(url) == 3


@pytest.mark.postgres
def test_replay_on_postgresql_matches_sqlite_and_reset_works(capsys, pg_engine):
    with pg_engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    on_sqlite = example()
    rc, on_pg, err = replay(capsys, "--database", url)
    assert rc == 0, err
    assert on_pg == on_sqlite
    rc, _, err = replay(capsys, "--database", url)
    assert rc == 2 and "--reset" in err
    rc, again, err = replay(capsys, "--database", url, "--reset")
    assert rc == 0, err
    assert again == on_sqlite


# --- bad input ----------------------------------------------------------------------------

GOOD = {"at": "2026-03-02T09:15:00+08:00", "chat": "grid-1", "from": "wang", "text": "#报事 路灯坏了"}


@pytest.mark.parametrize("bad", [
    '{"at": "2026-03-02T10:00:00+08:00", "chat": "grid-1", ',               # broken JSON
    '{"chat": "grid-1", "from": "wang", "text": "hi"}',                        # no "at"
    '{"at": "yesterday", "chat": "grid-1", "from": "wang", "text": "hi"}',     # unreadable time
    '{"at": "2026-03-02T10:00:00", "chat": "grid-1", "from": "wang", "text": "hi"}',  # no zone
    '{"at": "2026-03-02T10:00:00+08:00", "text": "hi"}',                       # no chat / from
    '["at", "2026-03-02T10:00:00+08:00"]',                                     # not an object
    '{"at": "2026-03-02T10:00:00+08:00", "chat": "grid-1", "from": "wang", "text": 5}',  # text not a string
], ids=["json", "no-at", "bad-at", "naive-at", "no-chat", "array", "text-not-string"])
def test_a_malformed_line_exits_2_naming_the_line(capsys, tmp_path, bad):
    path = write_scenario(tmp_path / "bad.jsonl", ["// a comment line", GOOD, "", bad,
                                                   {**GOOD, "at": "2026-03-02T11:00:00+08:00"}])
    rc, out, err = replay(capsys, scenario=path)
    assert rc == 2
    assert f"{path}:4:" in err
    assert "Traceback" not in err
    assert out == ""


def test_a_line_going_back_in_time_exits_2_naming_the_line(capsys, tmp_path):
    path = write_scenario(tmp_path / "back.jsonl", [GOOD, {**GOOD, "at": "2026-03-02T12:00:00+08:00"},
                                                    {**GOOD, "at": "2026-03-02T11:59:59+08:00"}])
    rc, out, err = replay(capsys, scenario=path)
    assert rc == 2
    assert f"{path}:3:" in err and "back in time" in err
    assert out == ""


def test_a_missing_scenario_file_exits_2_with_a_message(capsys, tmp_path):
    missing = tmp_path / "nope.jsonl"
    try:
        rc, out, err = replay(capsys, scenario=missing)
    except FileNotFoundError as exc:  # pragma: no cover - the failure we guard against
        pytest.fail(f"a missing scenario escaped as a traceback: {exc!r}")
    assert rc == 2
    assert str(missing) in err and err.startswith("shangliang:")
    assert out == ""


def test_an_empty_scenario_exits_2(capsys, tmp_path):
    path = write_scenario(tmp_path / "empty.jsonl", ["// nothing but a comment"])
    rc, out, err = replay(capsys, scenario=path)
    assert rc == 2 and "no events" in err and out == ""


# --- determinism and timing ---------------------------------------------------------------


def test_replay_is_deterministic(capsys):
    first = replay(capsys, "--json", "--ledger", "csv")
    second = replay(capsys, "--json", "--ledger", "csv")
    assert first[0] == second[0] == 0
    assert first[1] == second[1]


def test_scheduled_work_between_events_runs_at_its_own_due_time(capsys, tmp_path):
    resolved_at = datetime.fromisoformat("2026-03-02T10:07:13+08:00")
    path = write_scenario(tmp_path / "mine.jsonl", [
        {"id": "r1", "at": "2026-03-02T09:15:00+08:00", "chat": "grid-1", "from": "wang", "text": "#报事 2栋楼道灯不亮"},
        {"id": "r2", "at": "2026-03-02T09:20:00+08:00", "chat": "committee", "from": "liu", "text": "/claim 1"},
        {"id": "r3", "at": "2026-03-02T09:30:00+08:00", "chat": "committee", "from": "liu", "text": "/decide 1 换灯泡"},
        {"id": "r4", "at": resolved_at.isoformat(), "chat": "committee", "from": "liu", "text": "/resolve 1 已换好"},
        {"at": (resolved_at + timedelta(days=2)).isoformat()},
    ])
    rc, out, err = replay(capsys, "--json", scenario=path)
    assert rc == 0, err
    items = json_lines(out)
    assert any(i["kind"] == "reply:resolve.inform" and i["at"] == resolved_at.isoformat() for i in items)
    asks = [i for i in items if i["kind"] == "survey.ask"]
    assert len(asks) == 1
    assert asks[0]["to"] == "@wang" and asks[0]["concern"] == 1
    assert datetime.fromisoformat(asks[0]["at"]) == resolved_at + timedelta(hours=24)
    assert asks[0]["at"] == "2026-03-03T10:07:13+08:00"
    # the digests of the two mornings in between ran at 08:30, before and after the survey
    digests = [i["at"] for i in items if i["to"] == "coordinators" and i["kind"].startswith("digest")]
    assert digests == ["2026-03-03T08:30:00+08:00", "2026-03-04T08:30:00+08:00"]
    times = [i["at"] for i in items]
    assert times == sorted(times)


# --- the installed entry point ------------------------------------------------------------


def test_entry_point_runs_as_a_real_process(tmp_path):
    script = Path(sys.executable).with_name("shangliang")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]
    proc = subprocess.run([*command, "replay", str(SCENARIO), "--config", str(CONFIG), "--json"],
                          capture_output=True, text=True, encoding="utf-8", cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    in_process = example("--json")
    assert proc.stdout.rstrip("\n") == in_process.rstrip("\n")
    assert not (tmp_path / "data").exists()  # the default replay DB is temporary, not ./data
