"""Shared send pacing in the database (storage.pacing, bot.delivery.pacing), on SQLite and
PostgreSQL: slots are booked under the rows' locks, so senders asking at once never book more
than a rule allows; a busy chat puts the row off without booking anything."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot.delivery.outgoing import Target
from bot.delivery.pacing import TELEGRAM, Pacer
from storage import locks, outbox, pacing
from storage.db import session_factory
from storage.models import Chat, OutboxMessage, SendPacing
from storage.pacing import Bucket, Limit, Window

GROUP = Target("-1001", "grid-1")
PERSON = Target("801", "@wang", private=True)


class Clock:
    def __init__(self, at: float = 1_800_000_000.0) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def ask(sessions, pacer: Pacer, target: Target):
    with sessions() as session:
        locks.begin(session)
        decision = pacer.ask(session, target)
        session.commit()
        return decision


def test_a_group_takes_twenty_then_waits_for_its_window_and_the_bot_rate_spaces_the_rest(ready_engine):
    sessions = session_factory(ready_engine)
    clock = Clock()
    pacer = Pacer("telegram", TELEGRAM, clock)
    waits = []
    for _ in range(20):
        decision = ask(sessions, pacer, GROUP)
        assert decision.go
        waits.append(decision.wait)
        clock.at += decision.wait  # the sender waits for its slot, then sends
    # the bot's burst of 15, then one every 1/30 s
    assert waits[:15] == [0.0] * 15 and all(abs(w - 1 / 30) < 1e-6 for w in waits[15:])
    first = 1_800_000_000.0
    with sessions() as session:
        assert len(session.get(SendPacing, "telegram:chat:-1001").state["sent"]) == 20
    late = ask(sessions, pacer, GROUP)
    assert not late.go and late.chat_busy
    assert abs(clock.at + late.wait - (first + 61.0)) < 1e-6  # 20 in any 61 s
    assert ask(sessions, pacer, PERSON).go  # another chat is not held up
    clock.at = first + 61.0
    assert ask(sessions, pacer, GROUP).go
    with sessions() as session:  # a window forgets what has left it: the burst of 15 at `first`
        assert len(session.get(SendPacing, "telegram:chat:-1001").state["sent"]) == 6


def test_a_private_chat_gets_a_burst_of_two_then_one_a_second():
    rule = Bucket(per_second=1, burst=2)
    state: dict = {}
    assert rule.earliest(state, 100.0) == 100.0
    state = rule.book(state, 100.0)
    assert rule.earliest(state, 100.0) == 100.0
    state = rule.book(state, 100.0)
    assert rule.earliest(state, 100.0) == 101.0
    assert rule.earliest({**state, "until": 130.0}, 100.0) == 130.0  # held off after a 429


def test_nothing_is_booked_when_one_rule_says_wait_too_long(ready_engine):
    sessions = session_factory(ready_engine)
    busy = Limit("chat", Window(count=1, seconds=10), wait=0.0)
    overall = Limit("all", Bucket(per_second=10, burst=1), wait=1.0)
    with sessions() as session:
        locks.begin(session)
        assert pacing.take(session, [overall, busy], Clock(50.0)).booked
        session.commit()
    with sessions() as session:
        locks.begin(session)
        slot = pacing.take(session, [overall, busy], Clock(51.0))
        session.commit()
    assert not slot.booked and slot.held_by == "chat" and slot.at == 60.0
    with sessions() as session:
        assert session.get(SendPacing, "all").state == {"tat": 50.1}  # the bot's slot was not spent
        assert session.get(SendPacing, "chat").state == {"sent": [50.0]}


def test_senders_asking_at_once_never_book_more_than_the_window_allows(ready_engine):
    """Eight threads, each with its own connection, ask for one chat 10 times at once."""
    sessions = session_factory(ready_engine)
    clock = Clock()
    window = Limit("telegram:chat:-1001", Window(count=20, seconds=61), wait=0.05)
    overall = Limit("telegram:all", Bucket(per_second=1000, burst=1000), wait=1.0)
    booked, start = [], threading.Barrier(8)

    def sender() -> None:
        start.wait()
        for _ in range(10):
            with sessions() as session:
                locks.begin(session)
                slot = pacing.take(session, [overall, window], clock)
                session.commit()
            if slot.booked:
                booked.append(slot.at)

    threads = [threading.Thread(target=sender) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(booked) == 20  # of 80 asks: exactly the window, none lost to a race
    with sessions() as session:
        assert len(session.get(SendPacing, "telegram:all").state) == 1
        assert len(session.get(SendPacing, window.key).state["sent"]) == 20


def test_put_off_moves_the_chats_waiting_rows_and_does_not_count_an_attempt(ready_engine):
    sessions = session_factory(ready_engine)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    with sessions() as session:
        chats = [Chat(platform="telegram", external_id=str(-1001 - n), key=f"g{n}", kind="grid") for n in range(2)]
        session.add_all(chats)
        session.flush()
        ids = [outbox.enqueue(session, kind="t", text=f"m{i}", now=now, platform="telegram",
                              chat_id=chats[i % 2].id) for i in range(6)]
        session.commit()
    [first, *_] = outbox.claim(sessions, "telegram", now, limit=1)
    later = now + timedelta(seconds=40)
    with sessions() as session:
        outbox.put_off(session, first, later, now, same_recipient=True)
        session.commit()
    with sessions() as session:
        rows = {r.id: r for r in session.scalars(select(OutboxMessage))}
    same, other = ids[0::2], ids[1::2]
    assert all(rows[i].not_before == later and rows[i].locked_until is None for i in same)
    assert all(rows[i].not_before == now for i in other)
    assert {rows[i].attempts for i in ids} == {0}
