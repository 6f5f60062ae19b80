"""A large model's second opinion ([intake.llm]) against a fake OpenAI-compatible server that
answers well, badly, slowly and not at all: intake never waits for it, a good answer is
applied (category, urgency with the reason), anything else leaves the local reading."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.bootstrap import bootstrap
from bot.llm import LlmSettings
from handlers.clock import SimulatedClock
from sandbox.llm import FakeLlm, closed_url
from storage.models import AuditEntry, Concern, ScheduledJob
from tests.conftest import START
from tests.harness import Harness, texts_to

RULES = {"快递柜": ("物业服务", "small", "快递柜由物业公司运营，属物业服务"),
         "胸口闷": ("养老助残", "urgent", "独居老人胸闷，可能是心脏急症"),
         "燃气味": ("安全隐患", "small", "只是有味道")}


@pytest.fixture
def fake():
    with FakeLlm(RULES, mode="good", delay=5) as server:
        yield server


def harness(config, engine, url: str) -> Harness:
    settings = LlmSettings(url, "qwen-test", timeout_seconds=1.0)
    return Harness(bootstrap(replace(config, intake_llm=settings), clock=SimulatedClock(START), engine=engine))


def concern(h: Harness, number: int) -> Concern:
    with h.app.sessions() as s:
        row = s.get(Concern, number)
        s.expunge_all()
        return row


def review_result(h: Harness) -> str:
    with h.app.sessions() as s:
        job = s.scalars(select(ScheduledJob).where(ScheduledJob.kind == "llm_review")).one()
        return f"{job.state}: {job.result}"


def test_a_good_answer_recategorises_after_the_report_was_answered(config, ready_engine, fake):
    h = harness(config, ready_engine, fake.url)
    result, sent = h.say("grid-1", "wang", "#报事 3栋楼下快递柜屏幕黑了取不了件")
    assert result.status == "done" and "#1" in texts_to(sent, "grid-1")[0]
    assert fake.requests == []  # the resident was answered before the model was asked
    local = concern(h, 1).category
    assert local != "物业服务"

    later = h.advance(timedelta(minutes=1))
    assert len(fake.requests) == 1 and fake.requests[0].body["model"] == "qwen-test"
    assert concern(h, 1).category == "物业服务"
    told = texts_to(later, "committee")
    assert any(f"分类由「{local}」改为「物业服务」" in t and "物业公司运营" in t for t in told), told
    with h.app.sessions() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "category")).one()
        assert entry.detail["by"] == "llm" and entry.detail["after"] == "物业服务"
    assert review_result(h) == "done: category " + f"{local} → 物业服务"


def test_urgency_the_local_reading_missed_alerts_the_coordinators_with_the_reason(config, ready_engine, fake):
    h = harness(config, ready_engine, fake.url)
    _, sent = h.say("grid-1", "wang", "#报事 3楼的刘奶奶说胸口闷得慌 家里就她一个")
    assert concern(h, 1).size != "urgent" and texts_to(sent, "coordinators") == []  # the local reading missed it
    later = h.advance(timedelta(minutes=1))
    alerts = texts_to(later, "coordinators")
    assert len(alerts) == 1 and "大模型复核" in alerts[0] and "心脏急症" in alerts[0], alerts
    assert concern(h, 1).size == "urgent"


def test_the_model_never_takes_urgency_away(config, ready_engine, fake):
    h = harness(config, ready_engine, fake.url)
    h.say("grid-1", "wang", "#报事 2单元楼道里一股燃气味")
    assert concern(h, 1).size == "urgent"
    h.advance(timedelta(minutes=1))
    assert len(fake.requests) == 1
    assert concern(h, 1).size == "urgent"


@pytest.mark.parametrize("mode", ["slow", "bad-json", "bad-category", "error", "down"])
def test_no_usable_answer_leaves_the_local_reading_and_loses_nothing(config, ready_engine, fake, mode):
    url = closed_url() if mode == "down" else fake.url
    fake.mode = "slow" if mode == "down" else mode
    h = harness(config, ready_engine, url)
    result, sent = h.say("grid-1", "wang", "#报事 3栋楼下快递柜屏幕黑了取不了件")
    assert result.status == "done" and texts_to(sent, "grid-1")
    local = concern(h, 1)
    later = h.advance(timedelta(minutes=1))
    after = concern(h, 1)
    assert (after.category, after.size) == (local.category, local.size)
    assert texts_to(later, "committee") == [] and texts_to(later, "coordinators") == []
    assert review_result(h) == "done: no answer: the local reading stands"


def test_a_members_word_comes_before_the_models(config, ready_engine, fake):
    h = harness(config, ready_engine, fake.url)
    h.say("grid-1", "wang", "#报事 3栋楼下快递柜屏幕黑了取不了件")
    h.say("committee", "liu", "/分类 1 公共设施")
    h.advance(timedelta(minutes=1))
    assert concern(h, 1).category == "公共设施"
    assert review_result(h) == "done: a member decided already"


def test_without_the_option_nothing_is_asked_or_scheduled(h):
    h.say("grid-1", "wang", "#报事 3栋楼下快递柜屏幕黑了取不了件")
    h.advance(timedelta(minutes=1))
    with h.app.sessions() as s:
        assert s.scalars(select(ScheduledJob).where(ScheduledJob.kind == "llm_review")).all() == []
