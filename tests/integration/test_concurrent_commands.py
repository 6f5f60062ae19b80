"""The same concern from many hands at once gives the counts of one after the other.

Each test fires commands from threads released together, on SQLite and on PostgreSQL, and
checks the rows people count (concerns, supports, votes) and the answers people get: the
normal answer (or the normal refusal), never the apology.
"""
from __future__ import annotations

import dataclasses
import itertools
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from bot.replay import PLATFORM
from handlers.messages import Incoming, Result
from storage.models import Concern, Support, Vote

_seq = iter(range(1, 10**6))


def message(chat: str, who: str, text: str) -> Incoming:
    n = next(_seq)
    return Incoming(platform=PLATFORM, chat_id=chat, sender_id=who, sender_name=who, text=text,
                    at=None, message_id=f"c{n}", event_id=f"c{n}")


def at_once(h, messages: list[Incoming]) -> list[Result]:
    """Hand every message to the dispatcher from its own thread, all released together."""
    gate = threading.Barrier(len(messages))

    def one(m: Incoming) -> Result:
        gate.wait()
        return h.app.dispatcher.handle(m)
    with ThreadPoolExecutor(len(messages)) as pool:
        results = list(pool.map(one, messages))
    h.flush()
    return results


def count(h, what) -> int:
    with h.app.sessions() as s:
        return s.scalar(select(func.count()).select_from(what))


def no_apology(results: list[Result]) -> None:
    assert [r for r in results if r.status == "error"] == []
    assert not any("抱歉" in (r.reply or "") for r in results)


def test_twenty_identical_reports_at_once_make_one_concern_with_nineteen_supports(h):
    for i in range(20):  # twenty residents, known before the burst
        h.say("grid-1", f"r{i}", "/帮助")
    results = at_once(h, [message("grid-1", f"r{i}", "#报事 3栋门口路灯坏了，晚上一片黑") for i in range(20)])
    no_apology(results)
    assert count(h, Concern) == 1
    assert count(h, Support) == 19
    with h.app.sessions() as s:
        assert s.get(Concern, 1).supports and len(s.get(Concern, 1).supports) == 19


def test_one_person_sending_twenty_reports_at_once_meets_the_flood_limit(h):
    limit = h.app.config.settings.flood_per_minute
    results = at_once(h, [message("grid-1", "wang", f"#报事 {i + 1}栋楼道的灯坏了") for i in range(20)])
    no_apology(results)
    assert count(h, Concern) == limit
    refused = [r for r in results if r.status == "refused"]
    assert len(refused) == 20 - limit
    assert all("一分钟内最多报" in r.reply for r in refused)


def test_one_resident_supporting_twenty_times_at_once_counts_once_and_hears_the_usual_answer(h):
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    results = at_once(h, [message("grid-1", "li", "/附议 1") for _ in range(20)])
    no_apology(results)
    assert count(h, Support) == 1
    assert [r.status for r in results].count("done") == 1
    assert all("您已附议过 #1" in r.reply for r in results if r.status == "refused")


def open_poll(h) -> None:
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    assert h.say("committee", "liu", "/接单 1")[0].status == "done"
    assert h.say("committee", "liu", "/协商 1 要不要换成LED路灯")[0].status == "done"


def test_one_member_sending_many_votes_at_once_keeps_one_vote(h):
    open_poll(h)
    results = at_once(h, [message("committee", "zhao", f"/投票 1 {i % 3 + 1}") for i in range(12)])
    no_apology(results)
    assert [r.status for r in results] == ["done"] * 12  # each is answered as the vote it was
    with h.app.sessions() as s:
        rows = s.scalars(select(Vote).join(Vote.person).where(Vote.person.has(handle="zhao"))).all()
        assert len(rows) == 1


def test_members_voting_at_once_each_count(h):
    open_poll(h)
    members = ["liu", "zhao", "sun", "zhou"]
    results = at_once(h, [message("committee", m, "/投票 1 1") for m in members])
    no_apology(results)
    assert [r.status for r in results] == ["done"] * 4
    assert count(h, Vote) == 4


def test_a_busy_database_at_the_lock_is_retried_and_the_report_kept(h, monkeypatch):
    from sqlalchemy.exc import OperationalError
    from storage import locks
    real, calls = locks.begin, []

    def busy_once(session, *keys):
        calls.append(keys)
        if len(calls) == 1:
            raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))
        return real(session, *keys)
    monkeypatch.setattr(locks, "begin", busy_once)
    result, sent = h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    assert result.status == "done" and len(calls) == 2
    assert count(h, Concern) == 1 and any("#1" in m.text for m in sent)


def test_an_integrity_error_that_is_a_bug_is_not_called_a_conflict(h, monkeypatch, caplog):
    from sqlalchemy.exc import IntegrityError
    from handlers import dispatch

    def broken(ctx, args):
        raise IntegrityError("INSERT", {}, Exception("NOT NULL constraint failed: concerns.text"))
    monkeypatch.setitem(dispatch.COMMANDS, "status", broken)
    result, _ = h.say("grid-1", "wang", "/进度 1")
    assert result.status == "error"  # the apology, logged with its traceback: not "someone else was faster"
    assert any(r.exc_info for r in caplog.records if r.name == "handlers.dispatch")


def reply(chat: str, who: str, text: str, number: int) -> Incoming:
    return dataclasses.replace(message(chat, who, text), reply_to_concern=number)


def test_forty_residents_supporting_one_concern_at_once_are_forty_supports_at_the_first_try(h, monkeypatch):
    """A hot concern (a power cut): supports by command, by "+1" under the card and by the same
    report again, all at once. Each waits for the one before it on the concern, so none is
    lost even with no second try (a support given up as "someone was handling it" is lost)."""
    from handlers import dispatch
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了，晚上一片黑")
    for i in range(40):
        h.say("grid-1", f"r{i}", "/帮助")
    monkeypatch.setattr(dispatch, "ATTEMPTS", 1)
    start, ticks = h.app.clock.now(), itertools.count(1)  # each message its own moment, as in life:
    monkeypatch.setattr(h.app.clock, "now", lambda: start + timedelta(milliseconds=next(ticks)))  # so each changes the row
    burst = []
    for i in range(40):
        who = f"r{i}"
        burst.append([message("grid-1", who, "/附议 1"), reply("grid-1", who, "+1", 1),
                      message("grid-1", who, "#报事 3栋门口路灯坏了，晚上一片黑")][i % 3])
    results = at_once(h, burst)
    no_apology(results)
    assert [r.status for r in results] == ["done"] * 40, [r.reply for r in results if r.status != "done"]
    assert count(h, Support) == 40 and count(h, Concern) == 1
    counts = sorted(int(m) for r in results for m in re.findall(r"现有 (\d+) 人反映", r.reply or ""))
    assert counts == list(range(2, 42)), counts  # each answer names the count as it was then: no two alike
