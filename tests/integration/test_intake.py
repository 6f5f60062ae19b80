"""Intake (听邻说事) through the real dispatcher on both databases: folding repeats into 附议,
keeping near misses apart, urgent hints, places, floods, edited reports, pictures, category
corrections, masked plates and the replay events for edits and media.

Every check reads what residents and members were sent and what the database holds.
"""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from bot.bootstrap import bootstrap
from bot.cli import main
from bot.config import load
from bot.replay import PLATFORM
from handlers.clock import SimulatedClock
from handlers.messages import Incoming
from storage.models import (
    AuditEntry, CategoryCorrection, Comment, Concern, ConcernKey, MessageLink, OutboxMessage, Person, SourceMessage, Support,
)
from tests.conftest import EXAMPLE_CONFIG, START
from tests.harness import Harness, texts_to

GAP = timedelta(minutes=3)  # between reports of different people, well clear of the flood rule


# --- helpers ----------------------------------------------------------------------------------


def count(h, model, *where) -> int:
    with h.app.sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def concern(h, number: int) -> Concern:
    with h.app.sessions() as s:
        row = s.get(Concern, number)
        assert row is not None, f"no concern #{number}"
        row.grid  # load the grid before the session closes
        s.expunge_all()
        return row


def supporters(h, number: int) -> list[str]:
    with h.app.sessions() as s:
        return list(s.scalars(select(Person.handle).join(Support, Support.person_id == Person.id)
                              .where(Support.concern_id == number).order_by(Support.id)))


def report(h, chat: str, who: str, text: str):
    """Report, check it was handled, and let a little time pass."""
    result, sent = h.say(chat, who, text)
    assert result.status == "done", (text, result)
    h.advance(GAP)
    return result, sent


def edit(h, chat: str, who: str, original: str, text: str, *, event: str):
    """``who`` edits their earlier message ``original`` so it now reads ``text``."""
    private = chat == "private"
    message = Incoming(platform=PLATFORM, chat_id="@" + who if private else chat, sender_id=who, sender_name=who,
                       text=text, at=h.now, message_id=original, private=private, event_id=event, edited=True)
    before = len(h.transport.sent)
    result = h.app.dispatcher.handle(message)
    h.flush()
    return result, h.transport.sent[before:]


def media(h, chat: str, who: str, caption: str = ""):
    private = chat == "private"
    h._seq += 1
    message = Incoming(platform=PLATFORM, chat_id="@" + who if private else chat, sender_id=who, sender_name=who,
                       text=caption, at=h.now, message_id=f"p{h._seq}", private=private, event_id=f"p{h._seq}",
                       media=True)
    before = len(h.transport.sent)
    result = h.app.dispatcher.handle(message)
    h.flush()
    return result, h.transport.sent[before:]


# --- 1. folding ---------------------------------------------------------------------------------


def test_three_wordings_of_one_broken_light_become_one_concern_with_two_supports(h):
    _, sent = report(h, "grid-1", "wang", "#报事 3栋门口路灯坏了")
    first = h.last_message_id()
    assert "已登记 #1" in texts_to(sent, "grid-1")[0]

    _, sent = report(h, "grid-1", "li", "三栋楼下的路灯好几天不亮了 #报事")
    second = h.last_message_id()
    assert [m.to for m in sent] == ["grid-1"]  # a 附议, not a new card for the committee
    assert "已附议 #1" in sent[0].text and "现有 2 人反映" in sent[0].text

    _, sent = report(h, "grid-1", "zhang", "#報事 3棟的路燈壞了")
    third = h.last_message_id()
    assert [m.to for m in sent] == ["grid-1"]
    assert "已附议 #1" in sent[0].text and "现有 3 人反映" in sent[0].text

    assert count(h, Concern) == 1
    assert supporters(h, 1) == ["li", "zhang"]
    with h.app.sessions() as s:
        sources = s.execute(select(SourceMessage.kind, Person.handle, SourceMessage.event_id,
                                   SourceMessage.external_message_id, SourceMessage.text)
                            .join(Person, Person.id == SourceMessage.person_id)
                            .where(SourceMessage.concern_id == 1).order_by(SourceMessage.id)).all()
    assert [tuple(r) for r in sources] == [
        ("report", "wang", first, first, "#报事 3栋门口路灯坏了"),
        ("support", "li", second, second, "三栋楼下的路灯好几天不亮了 #报事"),
        ("support", "zhang", third, third, "#報事 3棟的路燈壞了"),
    ]
    # the status everyone sees counts the three of them
    _, sent = h.say("grid-1", "chen", "/status 1")
    assert "附议：2 人" in sent[0].text


def test_a_folded_supporter_hears_about_progress_privately(h):
    report(h, "grid-1", "wang", "#报事 3栋门口路灯坏了")
    report(h, "grid-1", "li", "#报事 3号楼那里路灯不亮了")
    _, sent = h.say("committee", "liu", "/claim 1")
    assert any("#1" in text and "接单" in text for text in texts_to(sent, "@li"))


# --- 2. near misses ----------------------------------------------------------------------------


def test_near_misses_stay_separate_concerns(h):
    report(h, "grid-1", "wang", "#报事 3栋门口路灯坏了")                 # 1
    _, sent = report(h, "grid-1", "li", "#报事 5栋门口的路灯也坏了")      # 2: another building
    assert "已登记 #2" in sent[0].text
    _, sent = report(h, "grid-1", "zhang", "#报事 3栋门口下水道反味，臭得很")  # 3: another problem
    assert "已登记 #3" in sent[0].text
    _, sent = report(h, "grid-1", "chen", "#报事 3栋的电梯坏了，按了没反应")  # 4: same category, same place
    assert "已登记 #4" in sent[0].text
    _, sent = report(h, "grid-2", "qian", "#报事 3栋门口路灯坏了")        # 5: the same words in another grid
    assert "已登记 #5" in texts_to(sent, "grid-2")[0]

    assert count(h, Concern) == 5
    assert count(h, Support) == 0
    assert concern(h, 5).grid.key == "grid-2"
    assert [concern(h, n).location for n in (1, 2, 3, 4, 5)] == ["3栋", "5栋", "3栋", "3栋", "3栋"]
    with h.app.sessions() as s:
        qian = s.scalars(select(Person).where(Person.handle == "qian")).one()
        assert qian.home_grid.key == "grid-2"

    # "not 3栋 but 5栋" is about 5栋: it supports #2, not #1
    _, sent = report(h, "grid-1", "sun_resident", "#报事 不是3栋的，是5栋的路灯")
    assert "已附议 #2" in sent[0].text
    assert supporters(h, 1) == [] and supporters(h, 2) == ["sun_resident"]
    assert count(h, Concern) == 5


def test_a_stairwell_light_is_not_the_street_light_outside(h):
    """楼道灯 (the stairwell light) and 路灯 (the street light) are different fixtures,
    mended by different people: folding one into the other would hide a concern."""
    report(h, "grid-1", "wang", "#报事 3栋门口路灯坏了")
    _, sent = report(h, "grid-1", "li", "#报事 3栋楼道灯坏了，上下楼看不见")
    assert "已登记 #2" in sent[0].text
    assert count(h, Concern) == 2 and count(h, Support) == 0


# --- 3. repeating oneself -----------------------------------------------------------------------


def test_reporter_or_supporter_repeating_is_told_so_and_adds_no_one_but_loses_no_words(h):
    report(h, "grid-1", "wang", "#报事 3栋门口路灯坏了")
    report(h, "grid-1", "li", "#报事 三栋的路灯不亮了")
    sources = count(h, SourceMessage)

    for who, text in (("wang", "#报事 3栋门口路灯还是坏的"), ("li", "#报事 3号楼路灯怎么还不亮"),
                      ("wang", "#报事 3栋门口路灯坏了")):
        result, sent = h.say("grid-1", who, text)
        h.advance(GAP)
        assert result.status == "done"
        assert [m.to for m in sent] == ["grid-1"], text
        assert "您已经反映过这件事" in sent[0].text and "#1" in sent[0].text, text
        assert "待接单" in sent[0].text

    assert count(h, Concern) == 1
    assert supporters(h, 1) == ["li"]
    # what they wrote is kept with #1: each message, and the new words in its thread
    assert count(h, SourceMessage, SourceMessage.kind == "repeat") == 3
    assert count(h, SourceMessage) == sources + 3
    with h.app.sessions() as s:
        thread = list(s.scalars(select(Comment.text).where(Comment.concern_id == 1).order_by(Comment.id)))
    assert thread == ["3栋门口路灯还是坏的", "3号楼路灯怎么还不亮"]  # the exact repeat adds no comment


# --- 4. finished concerns are not fold targets -----------------------------------------------


def test_a_withdrawn_concern_is_not_supported_by_a_new_report(h):
    report(h, "grid-1", "wang", "#报事 3栋门口路灯坏了")
    _, sent = h.say("grid-1", "wang", "/withdraw 1")
    assert concern(h, 1).state == "withdrawn"
    h.advance(GAP)
    _, sent = report(h, "grid-1", "li", "#报事 3栋门口路灯坏了，晚上黑漆漆的")
    assert "已登记 #2" in sent[0].text
    assert count(h, Concern) == 2 and supporters(h, 1) == []
    assert concern(h, 2).reporter_id != concern(h, 1).reporter_id


def test_a_closed_concern_is_not_supported_by_a_new_report(h):
    report(h, "grid-1", "wang", "#报事 3栋门口路灯坏了")
    for text in ("/claim 1", "/decide 1 联系电工换灯泡", "/resolve 1 灯泡已换"):
        result, _ = h.say("committee", "liu", text)
        assert result.status == "done", text
    h.advance(timedelta(days=10))  # survey sent, reminded, closed
    assert concern(h, 1).state == "closed"

    _, sent = report(h, "grid-1", "li", "#报事 3栋门口的路灯又坏了")
    assert "已登记 #2" in sent[0].text
    assert any("#2" in text for text in texts_to(sent, "committee"))
    assert count(h, Concern) == 2 and supporters(h, 1) == []


def test_a_resolved_concern_is_not_supported_either(h):
    report(h, "grid-1", "wang", "#报事 3栋门口路灯坏了")
    for text in ("/claim 1", "/decide 1 联系电工换灯泡", "/resolve 1 灯泡已换"):
        h.say("committee", "liu", text)
    assert concern(h, 1).state == "resolved"
    h.advance(GAP)
    _, sent = report(h, "grid-1", "li", "#报事 三栋门口的路灯又坏了")
    assert "已登记 #2" in sent[0].text


def test_a_claimed_concern_is_still_supported(h):
    report(h, "grid-1", "wang", "#报事 3栋门口路灯坏了")
    h.say("committee", "liu", "/claim 1")
    h.advance(GAP)
    _, sent = report(h, "grid-1", "li", "#报事 3栋那边的路灯一直不亮")
    assert "已附议 #1" in sent[0].text
    assert count(h, Concern) == 1


# --- 5. urgent hint ----------------------------------------------------------------------------


def test_gas_smell_is_hinted_urgent_and_alerts_the_coordinators_once(h):
    _, sent = report(h, "grid-1", "wang", "#报事 2单元楼道里一股燃气味")
    alerts = texts_to(sent, "coordinators")
    assert len(alerts) == 1 and "🚨 急事" in alerts[0] and "#1" in alerts[0]
    assert "判为急事是因为：燃气味" in alerts[0]  # the alert says why
    assert any("急事" in text for text in texts_to(sent, "committee"))
    row = concern(h, 1)
    assert row.size == "urgent" and row.size_confirmed is False
    assert row.category == "安全隐患"

    # a neighbour smelling the same gas supports #1; the coordinators are not alerted again
    _, sent = report(h, "grid-1", "li", "#报事 二单元楼道燃气味很重")
    assert "已附议 #1" in texts_to(sent, "grid-1")[0]
    assert texts_to(sent, "coordinators") == []
    # nor when time passes without anyone sizing it
    later = h.advance(timedelta(hours=1))
    assert not any("🚨" in m.text for m in later if m.to == "coordinators")


def test_a_small_matter_does_not_alert_the_coordinators(h):
    _, sent = report(h, "grid-1", "wang", "#报事 小广场的长椅掉漆了")
    assert texts_to(sent, "coordinators") == []
    assert concern(h, 1).size == "small"
    assert "小事" in texts_to(sent, "committee")[0]


# --- 6. the place on the card ------------------------------------------------------------------


def test_the_place_is_on_the_committee_card_and_in_the_concern(h):
    _, sent = report(h, "grid-1", "wang", "#报事 三号楼门口的路灯坏了")
    card = texts_to(sent, "committee")[0]
    assert "地点：3栋" in card
    assert concern(h, 1).location == "3栋"

    _, sent = report(h, "grid-1", "li", "#报事 东门门禁刷卡没反应")
    assert "地点：东门" in texts_to(sent, "committee")[0]
    assert concern(h, 2).location == "东门"

    _, sent = report(h, "grid-1", "zhang", "#报事 晚上总有人在楼下大声喧哗")
    assert "地点：—" in texts_to(sent, "committee")[0]
    assert concern(h, 3).location == ""


# --- 7. flood ------------------------------------------------------------------------------------

SEVEN = (
    "#报事 3栋门口路灯坏了",
    "#报事 5栋垃圾站满了好几天没人清运",
    "#报事 7栋电梯门关不上",
    "#报事 小广场晚上广场舞音响太吵",
    "#报事 2单元楼道堆了很多杂物",
    "#报事 北门那边有条狗一直叫",
    "#报事 篮球场的地砖翘起来了",
)


def test_more_than_five_reports_a_minute_are_refused_whole(h):
    results = []
    for text in SEVEN:  # all within the same minute
        result, sent = h.say("grid-1", "wang", text)
        results.append((result, sent))
    for result, sent in results[:5]:
        assert result.status == "done"
        assert "已登记" in sent[0].text
    for result, sent in results[5:]:
        assert result.status == "refused"
        assert [m.to for m in sent] == ["grid-1"]
        assert "一分钟内最多报 5 件事" in sent[0].text

    # nothing of the refused two was written
    assert count(h, Concern) == 5
    assert count(h, SourceMessage) == 5
    assert count(h, AuditEntry, AuditEntry.action == "report") == 5
    assert count(h, MessageLink, MessageLink.kind == "report") == 5
    with h.app.sessions() as s:
        keyed = set(s.scalars(select(ConcernKey.concern_id).distinct()))
        texts = list(s.scalars(select(Concern.text).order_by(Concern.id)))
        committee = list(s.scalars(select(OutboxMessage.text).where(OutboxMessage.kind == "report.card")))
    assert keyed == {1, 2, 3, 4, 5}
    assert texts == [t.removeprefix("#报事 ") for t in SEVEN[:5]]
    assert len(committee) == 5 and not any("狗" in t or "篮球场" in t for t in committee)


def test_a_minute_after_a_flood_the_reporter_may_report_again(h):
    for text in SEVEN:
        h.say("grid-1", "wang", text)
    assert count(h, Concern) == 5
    h.advance(timedelta(seconds=30))
    result, sent = h.say("grid-1", "wang", SEVEN[5])
    assert result.status == "refused" and "一分钟内最多报 5 件事" in sent[0].text

    h.advance(timedelta(seconds=30))  # a minute after the five
    result, sent = h.say("grid-1", "wang", SEVEN[5])
    assert result.status == "done"
    assert "已登记 #6" in sent[0].text


def test_the_flood_limit_is_per_person_and_counts_supports(h):
    for text in SEVEN[:5]:
        assert h.say("grid-1", "wang", text)[0].status == "done"
    # someone else is not held back by wang's reports, and may support them
    result, sent = h.say("grid-1", "li", "#报事 三栋的路灯不亮")
    assert result.status == "done" and "已附议 #1" in sent[0].text
    for number in (2, 3, 4, 5):
        assert h.say("grid-1", "li", f"/support {number}")[0].status == "done"
    result, sent = h.say("grid-1", "li", SEVEN[5])
    assert result.status == "refused" and "一分钟内最多报 5 件事" in sent[0].text
    assert count(h, Concern) == 5


# --- 8. edited reports ---------------------------------------------------------------------------


def test_an_edit_before_the_claim_updates_the_concern(h):
    _, sent = h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    original = h.last_message_id()
    assert concern(h, 1).category == "公共设施"
    h.advance(GAP)

    result, sent = edit(h, "grid-1", "wang", original, "#报事 5栋门口下水道堵了，臭得很", event="edit-1")
    assert result.status == "done"
    assert [m.to for m in sent] == ["grid-1"]
    assert "已按您修改后的内容更新 #1" in sent[0].text and "5栋门口下水道堵了" in sent[0].text
    row = concern(h, 1)
    assert row.text == "5栋门口下水道堵了，臭得很"
    assert row.category == "环境卫生"
    assert row.location == "5栋"
    with h.app.sessions() as s:
        assert s.scalars(select(SourceMessage.text).where(SourceMessage.concern_id == 1)).one() == \
            "#报事 5栋门口下水道堵了，臭得很"
        assert count(h, AuditEntry, AuditEntry.action == "edit") == 1
    assert count(h, Concern) == 1

    # folding follows the new wording: the old light is a new concern, the drain a 附议
    h.advance(GAP)
    _, sent = report(h, "grid-1", "li", "#报事 3栋门口路灯坏了")
    assert "已登记 #2" in sent[0].text
    _, sent = report(h, "grid-1", "zhang", "#报事 五栋下水道堵住了，很臭")
    assert "已附议 #1" in sent[0].text


def test_an_edit_after_the_claim_is_refused_and_changes_nothing(h):
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    original = h.last_message_id()
    h.say("committee", "liu", "/claim 1")
    h.advance(GAP)

    result, sent = edit(h, "grid-1", "wang", original, "#报事 5栋门口路灯坏了", event="edit-late")
    assert result.status == "refused"
    assert [m.to for m in sent] == ["grid-1"]
    assert "修改原消息不会再更新事项" in sent[0].text and "#1" in sent[0].text
    row = concern(h, 1)
    assert (row.text, row.location, row.state) == ("3栋门口路灯坏了", "3栋", "claimed")
    assert count(h, AuditEntry, AuditEntry.action == "edit") == 0


def test_an_edit_keeps_a_members_category_and_size(h):
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    original = h.last_message_id()
    h.say("committee", "liu", "/category 1 物业服务")
    h.say("committee", "liu", "/size 1 大事")
    h.advance(GAP)
    result, sent = edit(h, "grid-1", "wang", original, "#报事 3栋门口路灯坏了一个星期了", event="edit-2")
    assert result.status == "done" and "已按您修改后的内容更新" in sent[0].text
    row = concern(h, 1)
    assert row.text == "3栋门口路灯坏了一个星期了"
    assert (row.category, row.size, row.size_confirmed) == ("物业服务", "big", True)


def test_edits_of_chatter_or_of_someone_elses_report_are_ignored(h):
    h.say("grid-1", "li", "大家早上好")
    chatter = h.last_message_id()
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    original = h.last_message_id()
    h.advance(GAP)
    outbox = count(h, OutboxMessage)

    # chatter edited to stay chatter, and chatter edited into a tagged report
    for text in ("大家中午好", "#报事 7栋电梯坏了"):
        result, sent = edit(h, "grid-1", "li", chatter, text, event=f"edit-{text}")
        assert result.status in ("ignored", "done") and sent == [], text
    # li "editing" wang's report
    result, sent = edit(h, "grid-1", "li", original, "#报事 5栋门口路灯坏了", event="edit-other")
    assert result.status in ("ignored", "done") and sent == []
    # wang's report edited into a message without its tag is ignored too
    result, sent = edit(h, "grid-1", "wang", original, "算了，没事了", event="edit-untagged")
    assert result.status == "ignored" and sent == []

    assert count(h, Concern) == 1
    row = concern(h, 1)
    assert (row.text, row.location) == ("3栋门口路灯坏了", "3栋")
    assert count(h, OutboxMessage) == outbox
    assert count(h, AuditEntry, AuditEntry.action == "edit") == 0


# --- 9. pictures ---------------------------------------------------------------------------------


def test_a_picture_without_words_sent_to_the_bot_gets_an_explanation(h):
    result, sent = media(h, "private", "wang")
    assert result.status == "refused"
    assert [m.to for m in sent] == ["@wang"]
    assert "机器人看不懂图片" in sent[0].text
    assert count(h, Concern) == 0


def test_a_picture_without_words_in_a_group_is_left_alone(h):
    result, sent = media(h, "grid-1", "wang")
    assert result.status == "ignored"
    assert sent == []
    assert count(h, Concern) == 0


def test_a_picture_with_a_tagged_caption_is_a_report(h):
    result, sent = media(h, "grid-1", "wang", "#报事 3栋门口路灯坏了，看图")
    assert result.status == "done" and "已登记 #1" in sent[0].text
    assert concern(h, 1).location == "3栋"


# --- 10. category corrections --------------------------------------------------------------------


def test_a_category_correction_is_kept_once(h):
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了，总有车停在路灯下面")
    before = concern(h, 1).category
    assert before != "停车管理"
    result, sent = h.say("committee", "liu", "/category 1 停车管理")
    assert result.status == "done" and "分类改为「停车管理」" in sent[0].text
    assert concern(h, 1).category == "停车管理"
    with h.app.sessions() as s:
        rows = s.execute(select(CategoryCorrection, Person.handle)
                         .join(Person, Person.id == CategoryCorrection.by_id)).all()
        assert len(rows) == 1
        correction, by = rows[0]
        assert (correction.concern_id, correction.before, correction.after, by) == (1, before, "停车管理", "liu")
        assert correction.text == "3栋门口路灯坏了，总有车停在路灯下面"

    result, _ = h.say("committee", "zhao", "/category 1 停车管理")
    assert result.status == "done"
    assert count(h, CategoryCorrection) == 1


def test_an_unknown_category_is_refused_and_not_kept(h):
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    result, sent = h.say("committee", "liu", "/category 1 外星人")
    assert result.status == "refused" and "没有这个分类" in sent[0].text
    assert count(h, CategoryCorrection) == 0 and concern(h, 1).category == "公共设施"


def test_corrections_export_as_json_lines(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'corrections.db'}"
    app = bootstrap(load(EXAMPLE_CONFIG), clock=SimulatedClock(START), database_url=url)
    try:
        h = Harness(app)
        h.say("grid-1", "wang", "#报事 3栋门口路灯坏了，有事打我 13912345678")
        h.advance(GAP)
        h.say("grid-1", "li", "#报事 7栋电梯门关不上")
        h.say("committee", "liu", "/category 1 安全隐患")
        h.say("committee", "liu", "/category 2 物业服务")
        h.say("committee", "zhao", "/category 2 物业服务")  # no change: nothing new
    finally:
        app.close()

    capsys.readouterr()
    assert main(["export", "--format", "corrections", "--database", url]) == 0
    out = capsys.readouterr().out
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 2 and out.endswith("\n")
    assert [(r["concern"], r["category"], r["was"]) for r in rows] == [(1, "安全隐患", "公共设施"),
                                                                     (2, "物业服务", "公共设施")]
    assert rows[0]["text"].startswith("3栋门口路灯坏了") and "139****5678" in rows[0]["text"]
    assert "13912345678" not in out
    assert rows[1]["text"] == "7栋电梯门关不上"


# --- 11. plates ----------------------------------------------------------------------------------


def test_plate_numbers_are_masked_in_group_messages(h):
    text = "#报事 浙A12345这辆车在5栋门口停了好几个月没人开"
    _, sent = h.say("grid-1", "wang", text)
    _, private = h.say("private", "li", "/report 7栋门口的沪B98765天天压着盲道停")
    groups = [m for m in sent + private if m.to in ("grid-1", "committee", "coordinators")]
    assert {m.to for m in groups} == {"grid-1", "committee"}
    assert any("浙A·***45" in m.text for m in groups if m.to == "grid-1")
    assert any("浙A·***45" in m.text for m in groups if m.to == "committee")
    assert any("沪B·***65" in m.text for m in groups if m.to == "grid-1")  # the grid notice
    for m in groups:
        assert "12345" not in m.text and "98765" not in m.text, m.text
    assert [m.to for m in private if m.to.startswith("@")] == ["@li"]
    # the database keeps what was written, for the coordinators
    assert concern(h, 1).text == text.removeprefix("#报事 ")
    assert concern(h, 2).text == "7栋门口的沪B98765天天压着盲道停"


# --- 12. replay events for edits and pictures -----------------------------------------------------


def test_replay_understands_edit_and_media_events(tmp_path, capsys):
    events = [
        {"at": "2026-03-02T09:00:00+08:00", "chat": "grid-1", "from": "wang", "id": "e1",
         "text": "#报事 3栋门口路灯坏了"},
        {"at": "2026-03-02T09:04:00+08:00", "chat": "grid-1", "from": "wang", "edit": "e1",
         "text": "#报事 5栋门口路灯坏了，晚上黑漆漆的"},
        {"at": "2026-03-02T09:06:00+08:00", "chat": "private", "from": "li", "media": True, "text": ""},
        {"at": "2026-03-02T09:08:00+08:00", "chat": "grid-1", "from": "zhang", "media": True, "text": ""},
        {"at": "2026-03-02T09:10:00+08:00", "chat": "grid-1", "from": "li", "id": "e4",
         "text": "#报事 五栋的路灯不亮了"},
    ]
    scenario = tmp_path / "edits.jsonl"
    scenario.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in events) + "\n", "utf-8")
    url = f"sqlite:///{tmp_path / 'replay.db'}"

    capsys.readouterr()
    rc = main(["replay", str(scenario), "--config", str(EXAMPLE_CONFIG), "--json", "--database", url])
    out, err = capsys.readouterr()
    assert rc == 0, err
    sent = [json.loads(line) for line in out.splitlines() if line.strip()]

    edited = [m for m in sent if "已按您修改后的内容更新 #1" in m["text"]]
    assert [m["to"] for m in edited] == ["grid-1"] and edited[0]["at"].startswith("2026-03-02T09:04")
    pictures = [m for m in sent if "机器人看不懂图片" in m["text"]]
    assert [m["to"] for m in pictures] == ["@li"]  # the group picture got no answer
    assert not any(m["at"].startswith("2026-03-02T09:08") for m in sent)
    assert any(m["to"] == "grid-1" and "已附议 #1" in m["text"] for m in sent)

    from storage.db import make_engine, session_factory
    engine = make_engine(url)
    try:
        with session_factory(engine)() as s:
            row = s.get(Concern, 1)
            assert (row.text, row.location) == ("5栋门口路灯坏了，晚上黑漆漆的", "5栋")
            assert s.scalar(select(func.count()).select_from(Concern)) == 1
            assert set(s.scalars(select(SourceMessage.event_id))) == {"e1", "e4"}
    finally:
        engine.dispose()
