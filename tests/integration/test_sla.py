"""Deadlines per size: first response and resolution, reminded when overdue (simulated clock)."""
from datetime import timedelta

from tests.harness import texts_to


def overdue(sent, to, words="无人接单"):
    return [t for t in texts_to(sent, to) if words in t]


def test_an_unclaimed_small_matter_is_chased_after_a_day_but_not_before(h):
    h.say("grid-1", "wang", "#报事 3栋门口垃圾桶满了")
    assert not overdue(h.advance(timedelta(hours=23, minutes=59)), "committee")
    sent = h.advance(timedelta(minutes=1))
    assert len(overdue(sent, "committee")) == 1 and len(overdue(sent, "coordinators")) == 1
    assert "#1【小事】已超过 1天" in overdue(sent, "committee")[0]


def test_a_matter_claimed_in_time_is_not_chased(h):
    h.say("grid-1", "wang", "#报事 3栋门口垃圾桶满了")
    h.advance(timedelta(hours=3))
    h.say("committee", "liu", "/claim 1")
    assert not overdue(h.advance(timedelta(days=2)), "committee")


def test_an_urgent_report_must_be_answered_within_two_hours(h):
    h.say("grid-1", "wang", "#报事 2单元楼道里一股很浓的燃气味")
    sent = h.advance(timedelta(hours=2))
    assert len(overdue(sent, "coordinators")) == 1 and "急事" in overdue(sent, "coordinators")[0]


def test_sizing_a_matter_urgent_moves_its_deadline(h):
    h.say("grid-1", "wang", "#报事 5栋楼道堆满了纸箱")
    h.advance(timedelta(minutes=30))
    h.say("committee", "liu", "/急事 1")  # sized, not claimed
    sent = h.advance(timedelta(hours=1, minutes=30))  # two hours after the report
    assert len(overdue(sent, "committee")) == 1


def test_an_overdue_resolution_reminds_the_carrier_then_the_coordinators(h):
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    h.say("committee", "liu", "/claim 1")
    h.say("committee", "liu", "/decide 1 换灯泡")
    h.say("committee", "liu", "/assign 1 @zhao")
    sent = h.advance(timedelta(days=7))
    assert len(overdue(sent, "@zhao", "超过办理时限")) == 1
    assert not overdue(sent, "coordinators", "超过办理时限")
    sent = h.advance(timedelta(days=1))
    escalated = overdue(sent, "coordinators", "超过办理时限")
    assert len(escalated) == 1 and "赵委员" in escalated[0]


def test_a_matter_resolved_in_time_is_not_chased(h):
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    for text in ("/claim 1", "/decide 1 换灯泡", "/resolve 1 已换好"):
        h.say("committee", "liu", text)
    sent = h.advance(timedelta(days=9))
    assert not [m for m in sent if "超过办理时限" in m.text or "无人接单" in m.text]


def test_a_reopened_matter_gets_a_new_deadline_from_the_reopening(h):
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    for text in ("/claim 1", "/decide 1 换灯泡", "/resolve 1 已换好"):
        h.say("committee", "liu", text)
    h.advance(timedelta(days=2))
    h.say("coordinators", "ma", "/reopen 1 又坏了")
    sent = h.advance(timedelta(hours=23))
    assert not overdue(sent, "committee")
    sent = h.advance(timedelta(hours=1))  # a day after the reopening, nobody has claimed it again
    assert len(overdue(sent, "committee")) == 1
