"""Intake learns from the community's corrections: /分类 and /定级 by members, /重新学习 by a
coordinator, the ticker retrains, and the next reports of that kind are read the
community's way — in this app and in another process on the same database, not elsewhere."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.bootstrap import bootstrap
from handlers.clock import SimulatedClock
from storage.models import Concern, ScheduledJob, TrainedModel
from tests.conftest import START
from tests.harness import Harness, texts_to

GAP = timedelta(minutes=3)

#: parcel-locker faults: the shipped model files them under 公共设施; this community's property
#: company runs the lockers, so its members file them under 物业服务
TAUGHT = ["3栋楼下快递柜屏幕黑了取不了件", "东门的快递柜门打不开 我的包裹锁里面了", "快递柜扫码一直失败 好几个人都取不出来",
          "5栋快递柜又坏了 格子门弹不开", "北门快递柜断网了 取件码输了没反应", "2栋旁边那排快递柜 显示屏花屏 按键失灵"]
#: the same kind in words the corrections never used
NEW = ["#报事 7栋快递柜的屏幕又死机了 点哪都没反应", "#报事 西门那组快递柜好几个格子关不上门", "#报事 快递柜格口的门坏了关不严"]
RESIDENTS = ["wang", "li", "zhang", "chen"]


def category_of(h: Harness, number: int) -> str:
    with h.app.sessions() as s:
        return s.get(Concern, number).category


def report_all(h: Harness, texts: list[str]) -> list[int]:
    numbers = []
    for i, text in enumerate(texts):
        result, _ = h.say("grid-1" if i % 2 else "grid-2", RESIDENTS[i % len(RESIDENTS)], text)
        assert result.status == "done", result
        h.advance(GAP)
        with h.app.sessions() as s:
            numbers.append(s.scalar(select(func.max(Concern.id))))
    return numbers


def test_after_a_few_corrections_new_reports_of_that_kind_are_filed_the_communitys_way(h, config, ready_engine):
    assert [h.app.intake.analyse("#报事 " + t).category for t in TAUGHT].count("公共设施") >= 4
    assert all(h.app.intake.analyse(t).category != "物业服务" for t in NEW)
    numbers = report_all(h, ["#报事 " + t for t in TAUGHT])
    corrected = [n for n in numbers if category_of(h, n) != "物业服务"]
    assert len(corrected) >= 4
    for n in corrected:
        result, _ = h.say("committee", "liu", f"/分类 {n} 物业服务")
        assert result.status == "done"
    result, sent = h.say("coordinators", "ma", "/重新学习")
    assert result.status == "done" and "重新学习" in sent[0].text, sent

    sent = h.advance(timedelta(minutes=1))  # the ticker runs the retraining
    told = texts_to(sent, "coordinators")
    k = len(corrected)
    assert len(told) == 1 and f"按 {k} 条纠正" in told[0] and f"分对（分类和大小）{k} 条，原来 0 条" in told[0], told
    with h.app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(TrainedModel)) == 1

    fresh = report_all(h, NEW)
    assert [category_of(h, n) for n in fresh] == ["物业服务"] * 3
    # what the corrections did not touch is read as before
    assert h.app.intake.analyse("#报事 3栋门口路灯坏了").category == "公共设施"
    assert h.app.intake.analyse("#报事 楼道里一股燃气味").size == "urgent"

    # another process on the same database reads with the community's model from its start
    other = bootstrap(config, clock=SimulatedClock(h.now), engine=ready_engine)
    assert other.model_id == h.app.model_id > 0
    assert other.intake.analyse(NEW[0]).category == "物业服务"


def test_a_retrained_model_stays_in_its_own_app(h, config, tmp_path):
    """Apps in one process share the intake's parts, never one community's model."""
    numbers = report_all(h, ["#报事 " + t for t in TAUGHT])
    for n in numbers:
        h.say("committee", "liu", f"/分类 {n} 物业服务")
    h.say("coordinators", "ma", "/重新学习")
    h.advance(timedelta(minutes=1))
    assert h.app.intake.analyse(NEW[0]).category == "物业服务"
    elsewhere = bootstrap(config, clock=SimulatedClock(START), database_url=f"sqlite:///{tmp_path / 'other.db'}")
    try:
        assert elsewhere.model_id == 0
        assert elsewhere.intake.analyse(NEW[0]).category != "物业服务"
    finally:
        elsewhere.close()


def test_a_resident_or_member_may_not_retrain_and_nothing_to_learn_is_said(h):
    result, sent = h.say("grid-1", "wang", "/重新学习")
    assert result.status == "refused" and "召集人" in sent[0].text
    result, sent = h.say("committee", "liu", "/retrain")
    assert result.status == "refused" and "召集人" in sent[0].text
    result, sent = h.say("coordinators", "ma", "/重新学习")
    assert result.status == "refused" and "没有可学的" in sent[0].text, sent
    h.advance(timedelta(minutes=1))
    with h.app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ScheduledJob).where(ScheduledJob.kind == "retrain")) == 0
        assert s.scalar(select(func.count()).select_from(TrainedModel)) == 0


def test_a_size_given_by_a_member_teaches_urgency(h):
    """Corrections of size count too: reports of a kind members keep calling 急事 become urgent."""
    kind = ["楼道里的应急灯一直在冒白烟", "地下室配电柜那边有白烟冒出来", "楼顶水箱间的电机冒白烟了",
            "电梯机房门缝里往外冒白烟", "车库那台排风机冒白烟还有响声", "三楼弱电井冒白烟"]
    probe = "#报事 六楼配电箱那里冒白烟"
    assert h.app.intake.analyse(probe).size != "urgent"
    numbers = report_all(h, ["#报事 " + t for t in kind])
    for n in numbers:
        with h.app.sessions() as s:
            already = s.get(Concern, n).size
        if already != "urgent":
            h.say("committee", "liu", f"/定级 {n} 急事")
    h.say("coordinators", "ma", "/重新学习")
    h.advance(timedelta(minutes=1))
    assert h.app.intake.analyse(probe).size == "urgent"


def test_the_night_retrains_when_members_corrected_something_and_not_otherwise(h):
    numbers = report_all(h, ["#报事 " + t for t in TAUGHT])
    for n in numbers:
        if category_of(h, n) != "物业服务":
            h.say("committee", "liu", f"/分类 {n} 物业服务")
    assert h.app.intake.analyse(NEW[0]).category != "物业服务"
    # the nights come (03:00; the ticker puts the next one on the schedule as it goes):
    # retrained once without anyone asking, the coordinators told
    night = h.advance(timedelta(days=2))
    told = [t for t in texts_to(night, "coordinators") if "重新学习" in t]
    assert len(told) == 1, texts_to(night, "coordinators")
    assert h.app.intake.analyse(NEW[0]).category == "物业服务"
    # the next night nothing new was corrected: no retraining, nothing said
    night = h.advance(timedelta(days=1))
    assert not [t for t in texts_to(night, "coordinators") if "重新学习" in t]
    with h.app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(TrainedModel)) == 1
