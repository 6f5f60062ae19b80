"""/协商 with options Telegram's sendPoll would refuse is refused before anything is written or
announced; a question longer than a poll's is kept whole and shortened for the native poll only.

The app here has native polls on the replay platform, as on Telegram, so an accepted
deliberation queues its poll (a ``poll.open`` row whose text is the poll's question)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.bootstrap import bootstrap
from bot.replay import PLATFORM
from handlers.capabilities import Capabilities, PlatformCaps
from handlers.clock import SimulatedClock
from storage.models import AuditEntry, Concern, Deliberation, Option, OutboxMessage, ScheduledJob
from tests.conftest import START
from tests.harness import Harness, texts_to

EXAMPLE = "例：/协商 1 要不要换路灯 同意/反对/再议"
LONG_OPTION = "由社区出面联系物业公司在三栋东侧空地统一建设电动自行车集中充电棚" * 3  # 96 characters
QUESTION = "要不要在三栋东侧空地建设集中充电棚，由社区出面联系物业公司统一安装独立电表和自动断电保护装置，" * 9


@pytest.fixture
def hp(ready_engine, config) -> Harness:
    """The harness on an app whose platform has native polls (like Telegram)."""
    app = bootstrap(config, clock=SimulatedClock(START), engine=ready_engine,
                    caps=Capabilities({PLATFORM: PlatformCaps(native_polls=True)}))
    return Harness(app)


def claimed_big_matter(h) -> None:
    for chat, who, text in (("grid-1", "li", "#报事 3栋楼道的路灯坏了一个月"), ("committee", "liu", "/claim 1"),
                            ("committee", "liu", "/size 1 大事")):
        result, _ = h.say(chat, who, text)
        assert result.status == "done", (text, result.reply)


def snapshot(h) -> dict:
    """What a refused /协商 must leave as it was."""
    with h.app.sessions() as s:
        return {
            "state": s.get(Concern, 1).state,
            "deliberations": s.scalars(select(Deliberation.id)).all(),
            "options": s.scalars(select(Option.id)).all(),
            "outbox": s.execute(select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.state)
                                .order_by(OutboxMessage.id)).all(),
            "jobs": s.scalars(select(ScheduledJob.kind).where(ScheduledJob.kind.like("poll%"))).all(),
            "audit": s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all(),
        }


def refused(h, command: str) -> str:
    """Send ``command`` expecting a refusal that changes nothing; return what the member read."""
    claimed_big_matter(h)
    before = snapshot(h)
    result, sent = h.say("committee", "liu", command)
    assert result.status == "refused", result.reply
    assert [m.kind for m in sent] == ["reply:refused"]  # the refusal, and nothing announced anywhere
    assert sent[0].to == "committee" and sent[0].text == result.reply
    after = snapshot(h)
    new_rows = after.pop("outbox")[len(before["outbox"]):]
    assert [kind for _, kind, _ in new_rows] == ["reply:refused"]
    assert after["state"] == "claimed" and after["deliberations"] == [] and after["jobs"] == []
    before.pop("outbox")
    assert after == before
    assert EXAMPLE in result.reply
    return result.reply


@pytest.mark.parametrize("command", [
    "/协商 1 要不要换路灯 同意/同意/反对",  # exact
    "/协商 1 要不要换路灯 同意 / 同意 /反对",  # equal once trimmed
    "/协商 1 要不要换路灯 同意\u3000/同意/反对",  # an ideographic space
    "/deliberate 1 要不要换路灯 同意/反对/同意 48h",
])
def test_the_same_option_twice_is_refused(hp, command):
    reply = refused(hp, command)
    assert "选项重复：「同意」出现了 2 次" in reply


@pytest.mark.parametrize(("options", "first", "second"), [
    ("方案A/方案Ａ/再议", "方案A", "方案Ａ"),  # width
    ("OK/ok/再议", "OK", "ok"),  # case
    ("同意（修）/同意(修)/反对", "同意（修）", "同意(修)"),  # full-width brackets
])
def test_options_equal_after_case_or_width_folding_are_refused(hp, options, first, second):
    reply = refused(hp, f"/协商 1 要不要换路灯 {options}")
    assert f"「{first}」和「{second}」" in reply and "算同一个选项" in reply


def test_two_long_options_equal_once_cut_to_the_limit_are_refused(hp):
    first, second = LONG_OPTION + "先征求意见一号方案", LONG_OPTION + "先征求意见二号方案"  # 105 characters
    assert first[:100] == second[:100]  # what a cut to Telegram's 100 characters would send
    reply = refused(hp, f"/协商 1 要不要换路灯 {first}/{second}")
    assert "选项太长" in reply and "有 100 个字" not in reply and "最多 100 个字" in reply


def test_an_option_of_101_characters_is_refused(hp):
    option = LONG_OPTION + "五个字方案"
    assert len(option) == 101
    reply = refused(hp, f"/协商 1 要不要换路灯 同意/{option}")
    assert "有 101 个字，每个选项最多 100 个字" in reply


def test_one_option_is_refused(hp):
    reply = refused(hp, "/协商 1 要不要换路灯 同意/")
    assert "选项需要 2–10 个" in reply and "现在是 1 个" in reply


def test_eleven_options_are_refused(hp):
    options = "/".join(["甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸", "再议"])
    reply = refused(hp, f"/协商 1 要不要换路灯 {options}")
    assert "现在是 11 个" in reply


def test_the_refusal_is_in_english_for_an_english_speaker(hp):
    claimed_big_matter(hp)
    result, _ = hp.say("committee", "liu", "/deliberate 1 Replace the lights? yes/yes/no", lang="en")
    assert result.status == "refused"
    assert "“yes” is given 2 times" in result.reply
    assert "E.g. /deliberate 1 Replace the street lights? agree/disagree/later" in result.reply


def test_ten_options_and_spaced_slashes_are_fine(hp):
    claimed_big_matter(hp)
    result, sent = hp.say("committee", "liu", "/协商 1 要不要换路灯 甲 / 乙 / 丙/丁/戊/己/庚/辛/壬/再议")
    assert result.status == "done", result.reply
    with hp.app.sessions() as s:
        assert s.scalars(select(Option.text).order_by(Option.position)).all() == [
            "甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "再议"]
        assert s.scalars(select(Deliberation.question)).one() == "要不要换路灯"
    assert [m.text for m in sent if m.kind == "poll.open"] == ["#1 要不要换路灯"]


def test_a_question_longer_than_a_poll_is_kept_whole_and_shortened_for_the_poll(hp):
    assert len(QUESTION) > 400
    claimed_big_matter(hp)
    result, sent = hp.say("committee", "liu", f"/协商 1 {QUESTION} 同意/反对/再议 48h")
    assert result.status == "done", result.reply
    with hp.app.sessions() as s:
        assert s.scalars(select(Deliberation.question)).one() == QUESTION
        assert s.get(Concern, 1).state == "deliberating"
    cards = [t for t in texts_to(sent, "committee") if t.startswith("🗳 协商 #1")]
    assert len(cards) == 1 and QUESTION in cards[0]  # the card shows the question in full
    polls = [m for m in sent if m.kind == "poll.open"]
    assert [m.to for m in polls] == ["committee"]
    question = polls[0].text
    assert len(question) == 300 and question.endswith("…")
    assert question == "#1 " + QUESTION[:296] + "…"
    assert sent.index(polls[0]) > [m.text for m in sent].index(cards[0])  # the card comes first, above the poll
