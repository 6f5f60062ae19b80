"""/export (the Excel ledger, sent privately), /chart (a weekly PNG), who may use them, and
``shangliang export --format xlsx`` — on both databases, read back cell by cell."""
from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import matplotlib.image
import openpyxl
import pytest
from sqlalchemy import select, text

from bot.cli import main
from storage.models import Concern, OutboxMessage, StoredFile

from ..conftest import EXAMPLE_CONFIG, PG_URL

PHONE = "13812345678"
SHEETS = ["事项台账", "协商与投票", "满意度评价", "汇总"]
CONCERN_HEAD = ["编号", "网格", "分类", "规模", "状态", "地点", "报事人", "匿名", "附议人数", "报事时间"]


def local(at: datetime) -> datetime:
    """The Asia/Shanghai wall clock of an aware time, naive, as Excel keeps it."""
    return at.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)


def scenario(h) -> dict[str, datetime]:
    """#1 anonymous (privately), #2 named with a phone number, deliberated and surveyed,
    #3 never answered. Returns the report times."""
    times = {}
    times["anon"] = h.now
    result, _ = h.say("private", "wang", "/report 匿名 2栋楼道灯不亮了，晚上上楼很黑")
    assert result.status == "done"
    h.advance(timedelta(minutes=7))
    times["named"] = h.now
    assert h.say("grid-1", "li", f"#报事 3栋门口路灯坏了一周了，有事打我电话{PHONE}")[0].status == "done"
    h.advance(timedelta(minutes=5))
    assert h.say("grid-1", "zhang", "#报事 小区健身器材生锈了")[0].status == "done"
    h.advance(timedelta(minutes=5))
    for command in ("/claim 1", "/claim 2", "/size 2 大事", "/deliberate 2 是否更换整套路灯 48h"):
        assert h.say("committee", "liu", command)[0].status == "done", command
    for who, choice in (("liu", 1), ("zhao", 2), ("sun", 1)):
        assert h.say("committee", who, f"/vote 2 {choice}")[0].status == "done"
    assert h.say("committee", "liu", "/decide 1 联系电工更换灯泡")[0].status == "done"
    assert h.say("committee", "liu", "/resolve 1 已更换灯泡")[0].status == "done"
    h.advance(timedelta(hours=24))  # the survey of #1 goes to wang
    assert h.say("private", "wang", "/survey 1 2 还行")[0].status == "done"
    h.advance(timedelta(hours=24))  # the poll on #2 closes
    assert h.say("committee", "liu", "/decide 2 更换整套路灯")[0].status == "done"
    assert h.say("committee", "liu", "/resolve 2 已更换整套路灯")[0].status == "done"
    h.advance(timedelta(hours=24))
    times["answer"] = h.now
    assert h.say("private", "li", "/survey 2 1 修得很好")[0].status == "done"
    return times


def stored_file(h, kind: str) -> StoredFile:
    """The file sent by the latest outbox row of this kind (payload {"file": id})."""
    with h.app.sessions() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                        .order_by(OutboxMessage.id.desc())).first()
        assert row is not None and "file" in row.payload, row
        stored = s.get(StoredFile, row.payload["file"])
        s.expunge_all()
    return stored


def rows(sheet) -> list[dict]:
    """Data rows as dicts by header (stopping at the blank row before the note)."""
    header = [c.value for c in sheet[1]]
    out = []
    for values in sheet.iter_rows(min_row=2, values_only=True):
        if all(v is None for v in values):
            break
        out.append(dict(zip(header, values)))
    return out


def open_book(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content))


QUEUED = "📬 台账正在生成，完成后私信发给您。"


def export(h, args: str = "2026-03"):
    """/export in the coordinators' group: answered at once; the file comes when the ticker has
    run the job that builds it (due at once)."""
    result, sent = h.say("coordinators", "ma", f"/export {args}".strip())
    assert result.status == "done", result.reply
    assert [(m.to, m.text) for m in sent] == [("coordinators", QUEUED)]
    sent += h.advance(timedelta(0))
    stored = stored_file(h, "reply:export")
    assert stored.media_type.endswith("spreadsheetml.sheet") and stored.name.endswith(".xlsx")
    return sent, open_book(stored.content)


def test_export_sends_the_ledger_privately_and_every_sheet_reads_back(h):
    times = scenario(h)
    sent, book = export(h)
    private = [m for m in sent if m.to == "@ma"]
    assert len(private) == 1 and private[0].kind == "reply:export"
    assert private[0].text.startswith("📎 台账") and "事项 3 件" in private[0].text
    assert "协商 1 场" in private[0].text and "评价 2 份" in private[0].text
    assert [m.text for m in sent if m.to == "coordinators"] == [QUEUED]
    assert {m.to for m in sent} == {"@ma", "coordinators"}

    assert book.sheetnames == SHEETS
    for name in SHEETS:
        assert book[name].freeze_panes == "A2"
    concerns = book["事项台账"]
    assert [c.value for c in concerns[1]][:len(CONCERN_HEAD)] == CONCERN_HEAD
    assert [c.value for c in concerns[1]][-1] == "内容"
    by_number = {r["编号"]: r for r in rows(concerns)}
    assert sorted(by_number) == [1, 2, 3]
    anon, named, idle = by_number[1], by_number[2], by_number[3]
    assert anon["报事人"] is None and anon["匿名"] == "是"
    assert named["报事人"] == "李叔" and named["匿名"] == "否"
    assert named["网格"] == "幸福里网格" and named["规模"] == "大事" and named["状态"] == "已归档"
    assert PHONE not in named["内容"] and "138****5678" in named["内容"]
    assert named["方案"] == "更换整套路灯" and named["接单委员"] == "刘委员"
    assert isinstance(anon["报事时间"], datetime) and anon["报事时间"] == local(times["anon"])
    assert named["报事时间"] == local(times["named"]) == datetime(2026, 3, 2, 9, 7)
    assert idle["状态"] == "待接单" and idle["接单时间"] is None
    assert "wang" not in str(list(concerns.values)) and "王阿姨" not in str(list(concerns.values))

    polls = rows(book["协商与投票"])
    assert len(polls) == 1
    poll = polls[0]
    assert (poll["编号"], poll["议题"], poll["类型"], poll["结果"]) == (2, "是否更换整套路灯", "委员会协商", "同意")
    assert (poll["投票人数"], poll["应投人数"]) == (3, 5)
    assert poll["各选项票数"] == "同意 2；反对 1；需要再调研 0"
    assert sorted(poll["投票明细"].split("；")) == sorted(["刘委员:同意", "赵委员:反对", "孙委员:同意"])
    assert poll["截止时间"] - poll["发起时间"] == timedelta(hours=48)

    surveys = {r["编号"]: r for r in rows(book["满意度评价"])}
    assert surveys[1]["评价"] == "基本满意" and surveys[1]["评价人"] is None  # the anonymous reporter
    assert surveys[2]["评价"] == "满意" and surveys[2]["意见"] == "修得很好" and surveys[2]["评价人"] == "李叔"
    assert surveys[2]["评价时间"] == local(times["answer"])

    summary = {r["指标"]: r for r in rows(book["汇总"])}
    assert summary["收集事项"]["数量"] == 3 and summary["提交协商"]["数量"] == 1
    # 响应率: #1 and #2 claimed within minutes; #3 unanswered past its deadline → 2/3
    response = summary["响应率"]
    assert (response["分子"], response["分母"]) == (2, 3)
    assert response["比率"] == pytest.approx(2 / 3)
    satisfaction = summary["满意率"]  # 基本满意 + 满意 of two answers
    assert (satisfaction["分子"], satisfaction["分母"], satisfaction["比率"]) == (2, 2, 1)


def test_export_with_匿名_leaves_every_reporter_and_respondent_blank(h):
    scenario(h)
    _, book = export(h, "2026-03 匿名")
    concerns = rows(book["事项台账"])
    assert len(concerns) == 3 and all(r["报事人"] is None for r in concerns)
    assert [r["匿名"] for r in concerns] == ["是", "否", "否"]  # the flag itself stays
    surveys = rows(book["满意度评价"])
    assert len(surveys) == 2 and all(r["评价人"] is None for r in surveys)
    assert all(r["投票明细"] is None for r in rows(book["协商与投票"]))
    everything = str([list(book[name].values) for name in SHEETS])
    for name in ("王阿姨", "李叔", "张丽"):
        assert name not in everything


def test_export_asked_privately_is_answered_there_and_the_file_follows_there(h):
    scenario(h)
    result, sent = h.say("private", "ma", "/export 2026-03")
    assert result.status == "done", result.reply
    assert [(m.to, m.text) for m in sent] == [("@ma", QUEUED)]
    with h.app.sessions() as s:
        assert s.scalars(select(StoredFile)).all() == []  # the command scheduled it, nothing more
    later = h.advance(timedelta(0))
    assert [(m.to, m.kind) for m in later] == [("@ma", "reply:export")]
    assert later[0].text.startswith("📎 台账 2026-03-01~2026-03-31：事项 3 件")
    book = open_book(stored_file(h, "reply:export").content)
    assert sorted(r["编号"] for r in rows(book["事项台账"])) == [1, 2, 3]


@pytest.mark.parametrize("chat, who, command, allowed", [
    ("grid-1", "wang", "/export", False), ("committee", "liu", "/export", False),
    ("grid-1", "wang", "/stats", False), ("grid-1", "wang", "/members", False), ("grid-1", "wang", "/chart", False),
    ("committee", "liu", "/chart", True), ("committee", "liu", "/stats", True), ("committee", "liu", "/members", False),
])
def test_who_may_export_chart_and_see_figures(h, chat, who, command, allowed):
    h.say("grid-1", "zhang", "#报事 小区健身器材生锈了")
    result, sent = h.say(chat, who, command)
    if allowed:
        assert result.status == "done", result.reply
    else:
        assert result.status == "refused" and result.reply.startswith("⛔ 只有"), result.reply
        assert [m.to for m in sent] == [chat]
        with h.app.sessions() as s:
            assert s.scalars(select(StoredFile)).all() == []


def test_chart_is_an_800x600_png_sent_in_the_committee_and_a_bad_period_is_refused(h):
    scenario(h)
    result, sent = h.say("committee", "liu", "/chart")
    assert result.status == "done", result.reply
    assert [(m.to, m.kind) for m in sent] == [("committee", "reply:chart")]
    assert sent[0].text.startswith("📊")
    stored = stored_file(h, "reply:chart")
    assert stored.media_type == "image/png" and stored.content.startswith(b"\x89PNG")
    image = matplotlib.image.imread(io.BytesIO(stored.content), format="png")
    height, width = image.shape[:2]
    assert abs(width - 800) <= 10 and abs(height - 600) <= 10

    result, sent = h.say("committee", "liu", "/chart 2026-13")
    assert result.status == "refused"
    assert "2026-13" in result.reply and "本月" in result.reply and "2026-03-01~2026-03-15" in result.reply
    assert [m.to for m in sent] == ["committee"]


def database_url(h) -> str:
    """The test's database as a URL the CLI can open (PostgreSQL: its fresh schema)."""
    engine = h.app.engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        return f"{PG_URL}?options=-csearch_path%3D{schema}"
    return engine.url.render_as_string(hide_password=False)


def test_cli_writes_the_xlsx_ledger_and_refuses_a_bad_period(h, capsys, tmp_path):
    scenario(h)
    url, out = database_url(h), tmp_path / "out.xlsx"
    capsys.readouterr()
    rc = main(["export", "--format", "xlsx", "--config", str(EXAMPLE_CONFIG), "--database", url,
               "--output", str(out)])
    _, err = capsys.readouterr()
    assert rc == 0, err
    assert "wrote" in err
    book = open_book(out.read_bytes())
    assert book.sheetnames == SHEETS
    concerns = {r["编号"]: r for r in rows(book["事项台账"])}
    assert sorted(concerns) == [1, 2, 3]
    assert concerns[1]["报事人"] is None and concerns[2]["报事人"] == "李叔"
    assert "138****5678" in concerns[2]["内容"]
    with h.app.sessions() as s:
        created = s.get(Concern, 2).created_at
    assert concerns[2]["报事时间"] == local(created)

    hidden = tmp_path / "hidden.xlsx"
    rc = main(["export", "--format", "xlsx", "--config", str(EXAMPLE_CONFIG), "--database", url,
               "--period", "2026-03", "--hide-reporters", "--output", str(hidden)])
    assert rc == 0, capsys.readouterr().err
    assert all(r["报事人"] is None for r in rows(open_book(hidden.read_bytes())["事项台账"]))

    bad = tmp_path / "bad.xlsx"
    capsys.readouterr()
    rc = main(["export", "--format", "xlsx", "--config", str(EXAMPLE_CONFIG), "--database", url,
               "--period", "2026-99", "--output", str(bad)])
    out_text, err = capsys.readouterr()
    assert rc == 2
    assert err.startswith("shangliang: --period") and "2026-99" in err and "Traceback" not in err
    assert out_text == "" and not bad.exists()
