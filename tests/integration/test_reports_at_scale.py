"""/stats, the digest and the Excel ledger over a year of a district (12 grids, 1,200 concerns
with their whole lifecycle, bulk-loaded as the reports bench does), on SQLite and PostgreSQL,
read as a coordinator reads them and checked against the rows themselves counted in Python:
the set-based queries count what the rows say, the digest's lists stop at five and say how
many more, and a ledger bigger than one fetch (and one width sample) has every row."""
from __future__ import annotations

import io
import re
from collections import Counter
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import select

from bench import report_data
from bench.community import write_config
from bot import config as config_loader
from bot.bootstrap import bootstrap
from handlers.clock import SimulatedClock
from handlers.ledger_book import BATCH
from handlers.privacy import mask
from handlers.xlsx import SAMPLE
from storage.models import AuditEntry, Concern, Outcome, OutboxMessage, StoredFile, Support, SurveyResponse
from tests.harness import Harness, texts_to

CONCERNS = 1200
KINDS = {"路灯坏了": "公共设施", "垃圾没人清运": "环境卫生", "消防通道被车堵住": "停车管理"}


@pytest.fixture
def district(ready_engine, tmp_path) -> Harness:
    config = config_loader.load(write_config(tmp_path, 12, "sqlite://"), environ={})
    app = bootstrap(config, clock=SimulatedClock(report_data.NOW - timedelta(hours=1)), engine=ready_engine)
    report_data.load(app, CONCERNS, KINDS)
    return Harness(app)


def rows_of(h, *columns):
    with h.app.sessions() as s:
        return [tuple(r) for r in s.execute(select(*columns))]


def in_2026(at) -> bool:
    return report_data.YEAR <= at < report_data.YEAR.replace(year=2027)


def test_stats_for_the_year_counts_what_the_rows_say(district):
    h = district
    audit = rows_of(h, AuditEntry.action, AuditEntry.concern_id, AuditEntry.at)
    distinct = lambda *actions: len({c for a, c, at in audit if a in actions and in_2026(at)})  # noqa: E731
    supports = sum(1 for (at,) in rows_of(h, Support.at) if in_2026(at))
    answers = [r for r, at in rows_of(h, SurveyResponse.rating, SurveyResponse.at) if in_2026(at)]
    result, sent = h.say("coordinators", "ma", "/统计 2026")
    assert result.status == "done", result.reply
    (text,) = texts_to(sent, "coordinators")
    counts = dict(re.findall(r"(收集|办结|附议|重新打开|撤回|不予受理) (\d+)", text))
    assert int(counts["收集"]) == CONCERNS
    assert int(counts["办结"]) == distinct("resolve") > CONCERNS // 2
    assert int(counts["重新打开"]) == distinct("reopen", "survey_reopen") > 0
    assert int(counts["撤回"]) == distinct("withdraw") > 0 and int(counts["不予受理"]) == distinct("reject") > 0
    assert int(counts["附议"]) == supports > 0
    good = sum(1 for r in answers if r in ("satisfied", "basically"))
    assert f"满意率 {good / len(answers):.1%}（{good}/{len(answers)}）" in text


def test_the_digest_lists_five_of_each_and_says_how_many_more(district):
    h = district
    now = report_data.NOW
    for grid in (1, 1, 2, 3, 4, 5, 6, 7):  # this morning, residents of seven grids report through the bot
        result, _ = h.say(f"grid-{grid}", f"newcomer{grid}-{h.last_message_id()}", f"#报事 {grid}号楼楼顶漏水很严重")
        assert result.status == "done", result.reply
    concerns = rows_of(h, Concern.id, Concern.state, Concern.responded_at, Concern.respond_by, Concern.resolve_by,
                       Concern.grid_id, Concern.created_at)
    open_states = {"reported", "claimed", "deliberating", "decided", "notice", "in_progress", "reopened"}
    unanswered = sorted((by, n) for n, st, resp, by, _, _, _ in concerns if st in open_states and resp is None
                        and by < now)
    late = sorted((by, n) for n, st, _, _, by, _, _ in concerns if st in open_states and by < now)
    new_grids = Counter(g for *_, g, at in concerns if now - timedelta(days=1) <= at < now)
    assert len(late) > 5 and len(new_grids) > 5, new_grids

    sent = h.advance(timedelta(hours=1))  # to 08:30 on 1 January: the digest is due
    (digest,) = [t for t in texts_to(sent, "coordinators") if t.startswith("📊")]
    assert len(digest) < 4096  # Telegram's limit: nothing cut off at the end
    lines = digest.splitlines()
    assert f"逾期 {len(unanswered) + len(late)}" in lines[1]
    overdue = next(line for line in lines if line.startswith("逾期未办结："))
    assert re.findall(r"#(\d+)", overdue) == [str(n) for _, n in late[:5]]
    assert overdue.endswith(f"等，另有 {len(late) - 5} 项")
    if len(unanswered) > 5:
        assert next(line for line in lines if line.startswith("超时未响应：")).endswith(
            f"等，另有 {len(unanswered) - 5} 项")
    by_grid = next(line for line in lines if line.startswith("新报事 ") and "件：" in line)
    assert by_grid.count("网格") == min(5, len(new_grids))
    busiest = max(new_grids.values())
    assert re.search(rf"^新报事 {sum(new_grids.values())} 件：[^ ]+网格 {busiest}（", by_grid)  # the busiest first
    if len(new_grids) > 5:
        assert by_grid.endswith(f"等，另有 {len(new_grids) - 5} 项")


def test_a_year_ledger_larger_than_one_fetch_has_every_row(district):
    h = district
    assert CONCERNS > BATCH and CONCERNS > SAMPLE
    result, sent = h.say("coordinators", "ma", "/导出 2026")
    assert result.status == "done", result.reply
    assert [m.text for m in sent] == ["📬 台账正在生成，完成后私信发给您。"]
    with h.app.sessions() as s:
        assert s.scalars(select(StoredFile)).all() == []  # not built in the command
    sent = h.advance(timedelta(0))
    (caption,) = [m.text for m in sent if m.to == "@ma"]
    assert f"事项 {CONCERNS} 件" in caption
    with h.app.sessions() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply:export")).one()
        book = openpyxl.load_workbook(io.BytesIO(s.get(StoredFile, row.payload["file"]).content))
    sheet = book["事项台账"]
    header = [c.value for c in sheet[1]]
    got = [dict(zip(header, values)) for values in sheet.iter_rows(min_row=2, max_row=CONCERNS + 1, values_only=True)]
    assert [r["编号"] for r in got] == list(range(1, CONCERNS + 1))
    assert sheet.cell(row=CONCERNS + 3, column=1).value.startswith("统计期间：2026-01-01~2026-12-31")
    supports = Counter(c for (c,) in rows_of(h, Support.concern_id))
    plans = {c: p for _, c, p in sorted(rows_of(h, Outcome.id, Outcome.concern_id, Outcome.plan))}  # the latest
    assert [r["附议人数"] for r in got] == [supports.get(n, 0) for n in range(1, CONCERNS + 1)]
    assert [r["方案"] for r in got] == [mask(plans[n]) if n in plans else None for n in range(1, CONCERNS + 1)]
    texts = dict(rows_of(h, Concern.id, Concern.text))
    phones = [n for n, text in texts.items() if "电话13" in text]
    assert len(phones) > 30  # one in twenty leaves a phone number: masked in the ledger, kept in the database
    for n in phones:
        masked = got[n - 1]["内容"]
        assert "电话13" in masked and "****" in masked and texts[n] not in masked
    answers = sum(1 for (at,) in rows_of(h, SurveyResponse.at) if in_2026(at))
    assert sheet.parent["满意度评价"].max_row == answers + 3  # header, rows, a blank row and the note
