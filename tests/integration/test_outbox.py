"""The outbox and its sender: retries, unreachable recipients, leases, threading, concurrency.

The only fakes are the transports below (the chat platform edge); the outbox rows live in a
real database (SQLite file and PostgreSQL, via the ``engine`` fixture).
"""
from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.replay import PLATFORM
from bot.delivery import Delivery, Receipt, RetryLater, Unreachable
from bot.delivery.core import drain_sync as drain
from bot.delivery.outcome import MAX_ATTEMPTS
from storage import migrate, outbox
from storage.db import session_factory
from storage.models import Chat, Comment, MessageLink, OutboxMessage, Person, Support

from ..harness import Harness


class ScriptedTransport:
    """Fails as scripted (one entry per send: an exception to raise, or None to succeed)."""

    def __init__(self, *script: BaseException | None, platform: str = PLATFORM, then: BaseException | None = None):
        self.platform = platform
        self.script = list(script)
        self.then = then  # what every send after the script does
        self.calls: list[tuple[int, str]] = []
        self.delivered: list[int] = []

    async def send(self, delivery: Delivery) -> Receipt:
        self.calls.append((delivery.row_id, delivery.target.label))
        outcome = self.script.pop(0) if self.script else self.then
        if outcome is not None:
            raise outcome.with_traceback(None)
        self.delivered.append(delivery.row_id)
        return Receipt(f"ext-{delivery.row_id}")


def chat_id(app, key: str) -> int:
    with app.sessions() as session:
        return session.scalars(select(Chat.id).where(Chat.platform == PLATFORM, Chat.key == key)).one()


def person_id(app, handle: str) -> int:
    with app.sessions() as session:
        return session.scalars(select(Person.id).where(Person.handle == handle)).one()


def enqueue(app, *, now: datetime, platform: str = PLATFORM, to: str = "committee", text: str = "hello",
            dedupe_key: str | None = None, **extra) -> int | None:
    with app.sessions() as session:
        if "person_id" not in extra:
            extra["chat_id"] = chat_id(app, to)
        row_id = outbox.enqueue(session, kind="test", text=text, now=now, platform=platform,
                                dedupe_key=dedupe_key, **extra)
        session.commit()
        return row_id


def row(app, row_id: int) -> OutboxMessage:
    with app.sessions() as session:
        return session.get(OutboxMessage, row_id)


@pytest.fixture
def t0(app) -> datetime:
    return app.clock.now()


# --- failures reported by the transport ---------------------------------------------------


def test_retry_later_puts_the_row_back_until_its_delay_has_passed(app, t0):
    row_id = enqueue(app, now=t0)
    transport = ScriptedTransport(RetryLater(5))

    assert drain(app.sessions, transport, t0) == 0
    r = row(app, row_id)
    assert r.state == "pending"
    assert r.not_before == t0 + timedelta(seconds=5)
    assert r.locked_until is None and r.attempts == 1
    assert "5" in r.last_error
    assert len(transport.calls) == 1  # not retried within the same drain

    assert drain(app.sessions, transport, t0 + timedelta(seconds=4, microseconds=999_000)) == 0
    assert len(transport.calls) == 1  # too early

    assert drain(app.sessions, transport, t0 + timedelta(seconds=5)) == 1
    assert transport.delivered == [row_id]
    r = row(app, row_id)
    assert (r.state, r.attempts, r.external_message_id) == ("sent", 2, f"ext-{row_id}")
    assert r.sent_at == t0 + timedelta(seconds=5)

    assert drain(app.sessions, transport, t0 + timedelta(hours=1)) == 0
    assert transport.delivered == [row_id] and len(transport.calls) == 2  # sent once


def test_unreachable_gives_up_on_the_row_and_remembers_the_chat(app, t0):
    committee = chat_id(app, "committee")
    first = enqueue(app, now=t0, text="one")
    transport = ScriptedTransport(then=Unreachable("bot was removed from the group"))

    assert drain(app.sessions, transport, t0) == 0
    r = row(app, first)
    assert r.state == "unreachable" and "removed" in r.last_error and r.locked_until is None
    with app.sessions() as session:
        assert session.get(Chat, committee).unreachable_since == t0
        assert session.get(Chat, chat_id(app, "grid-1")).unreachable_since is None

    later = t0 + timedelta(hours=2)
    second = enqueue(app, now=later, text="two")
    drain(app.sessions, transport, later)
    assert row(app, second).state == "unreachable"
    with app.sessions() as session:
        assert session.get(Chat, committee).unreachable_since == t0  # the first time is kept

    calls = len(transport.calls)
    transport.then = None  # even if the platform would now accept it
    assert drain(app.sessions, transport, t0 + timedelta(days=30)) == 0
    assert len(transport.calls) == calls and transport.delivered == []
    assert row(app, first).state == "unreachable"


def test_a_generic_error_keeps_the_row_and_retries_later(app, t0):
    row_id = enqueue(app, now=t0)
    transport = ScriptedTransport(ConnectionResetError("peer reset"))

    assert drain(app.sessions, transport, t0) == 0
    r = row(app, row_id)
    assert r.state == "pending" and r.not_before > t0 and r.locked_until is None
    assert "ConnectionResetError" in r.last_error
    assert len(transport.calls) == 1

    assert drain(app.sessions, transport, r.not_before) == 1
    assert transport.delivered == [row_id]
    assert row(app, row_id).state == "sent"


@pytest.mark.parametrize("error", [RetryLater(1), RuntimeError("HTTP 400: message is too long")],
                         ids=["retry-later", "generic-error"])
def test_after_max_attempts_the_row_is_failed(app, t0, error):
    row_id = enqueue(app, now=t0)
    transport = ScriptedTransport(then=error)
    now = t0
    for _ in range(MAX_ATTEMPTS * 3):
        drain(app.sessions, transport, now)
        if row(app, row_id).state != "pending":
            break
        now = row(app, row_id).not_before
    r = row(app, row_id)
    assert r.state == "failed"
    assert r.attempts == MAX_ATTEMPTS
    assert len(transport.calls) == MAX_ATTEMPTS
    assert r.last_error

    drain(app.sessions, transport, now + timedelta(days=1))
    assert len(transport.calls) == MAX_ATTEMPTS  # never tried again


def test_a_person_without_an_identity_on_the_platform_is_unreachable(app, t0):
    row_id = enqueue(app, now=t0, platform="telegram", person_id=person_id(app, "wang"))
    transport = ScriptedTransport(platform="telegram")
    assert drain(app.sessions, transport, t0) == 0
    assert transport.calls == []
    assert row(app, row_id).state == "unreachable"


# --- delivery and threading ---------------------------------------------------------------


def test_sent_rows_are_linked_so_replies_thread_to_the_concern(h: Harness):
    _, sent = h.say("grid-1", "wang", "#报事 3栋门口路灯坏了一周了")
    assert {m.to for m in sent} >= {"grid-1", "committee"}
    committee, grid = chat_id(h.app, "committee"), chat_id(h.app, "grid-1")
    with h.app.sessions() as session:
        rows = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        links = {(link.chat_id, link.external_message_id): link.concern_id
                 for link in session.scalars(select(MessageLink))}
    assert rows and all(r.state == "sent" for r in rows)
    for r in rows:
        assert r.external_message_id == f"out{r.id}"  # what the transport returned
        assert r.sent_at == h.now and r.locked_until is None
        if r.concern_id is not None and r.chat_id is not None:
            assert links[(r.chat_id, r.external_message_id)] == r.concern_id
    card = next(r for r in rows if r.chat_id == committee and r.kind == "report.card")
    ack = next(r for r in rows if r.chat_id == grid and r.concern_id == 1)

    # a member's reply to the committee card is a comment on #1
    result, _ = h.say("committee", "liu", "支持：先换灯泡再查线路", reply_to=card.external_message_id)
    assert (result.status, result.command) == ("done", "comment")
    with h.app.sessions() as session:
        comments = list(session.scalars(select(Comment)))
    assert [(c.concern_id, c.person_id, c.position, c.text) for c in comments] == [
        (1, person_id(h.app, "liu"), "support", "先换灯泡再查线路")]

    # a resident's "+1" to the bot's acknowledgement in the grid supports #1
    result, _ = h.say("grid-1", "li", "+1", reply_to=ack.external_message_id)
    assert (result.status, result.command) == ("done", "support")
    with h.app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Support).where(Support.concern_id == 1)) == 1

    # the same id in another chat means nothing
    result, _ = h.say("grid-2", "zhang", "什么时候修？", reply_to=card.external_message_id)
    assert result.status == "ignored"


def test_rows_without_a_concern_are_not_linked(app, t0):
    row_id = enqueue(app, now=t0)
    drain(app.sessions, ScriptedTransport(), t0)
    with app.sessions() as session:
        assert session.get(OutboxMessage, row_id).state == "sent"
        assert session.scalar(select(func.count()).select_from(MessageLink)) == 0


# --- enqueue and claim --------------------------------------------------------------------


def test_enqueue_with_the_same_dedupe_key_writes_one_row(app, t0):
    first = enqueue(app, now=t0, text="first", dedupe_key="survey:1:wang")
    second = enqueue(app, now=t0 + timedelta(minutes=1), text="second", dedupe_key="survey:1:wang")
    other = enqueue(app, now=t0, text="other", dedupe_key="survey:1:li")
    assert first is not None and other is not None and other != first
    assert second is None
    with app.sessions() as session:
        texts = list(session.scalars(select(OutboxMessage.text).order_by(OutboxMessage.id)))
    assert texts == ["first", "other"]
    transport = ScriptedTransport()
    assert drain(app.sessions, transport, t0 + timedelta(minutes=5)) == 2


def test_enqueue_needs_exactly_one_recipient(app, t0):
    with app.sessions() as session:
        with pytest.raises(ValueError):
            outbox.enqueue(session, kind="test", text="x", now=t0, platform=PLATFORM)
        with pytest.raises(ValueError):
            outbox.enqueue(session, kind="test", text="x", now=t0, platform=PLATFORM,
                           chat_id=chat_id(app, "committee"), person_id=person_id(app, "wang"))


def test_claim_takes_only_rows_of_its_own_platform(app, t0):
    on_telegram = enqueue(app, now=t0, platform="telegram", text="tg")
    on_replay = enqueue(app, now=t0, platform=PLATFORM, text="replay")
    claimed = outbox.claim(app.sessions, "telegram", t0)
    assert [r.id for r in claimed] == [on_telegram]

    transport = ScriptedTransport()  # the replay sender
    assert drain(app.sessions, transport, t0 + timedelta(minutes=5)) == 1
    assert transport.delivered == [on_replay]
    assert row(app, on_telegram).state == "pending"  # left for its own sender


def test_claim_leaves_rows_not_yet_due(app, t0):
    enqueue(app, now=t0 + timedelta(minutes=1))  # not_before = its creation time
    assert outbox.claim(app.sessions, PLATFORM, t0) == []
    assert len(outbox.claim(app.sessions, PLATFORM, t0 + timedelta(minutes=1))) == 1


def test_a_lease_keeps_other_claimers_off_until_it_expires(app, t0):
    ids = [enqueue(app, now=t0, text=f"m{i}") for i in range(3)]
    lease = timedelta(seconds=60)
    first = outbox.claim(app.sessions, PLATFORM, t0, limit=2, lease=lease)
    assert [r.id for r in first] == ids[:2]
    assert all(r.locked_until == t0 + lease and r.attempts == 1 for r in first)
    assert row(app, ids[0]).locked_until == t0 + lease  # committed, visible to others

    # another worker half-way through the lease sees only the unleased row
    second = outbox.claim(app.sessions, PLATFORM, t0 + timedelta(seconds=30), limit=5, lease=lease)
    assert [r.id for r in second] == ids[2:]

    # the first worker died without marking anything: after the lease the rows come back
    retaken = outbox.claim(app.sessions, PLATFORM, t0 + lease, limit=5, lease=lease)
    assert [r.id for r in retaken] == ids[:2]
    assert all(r.attempts == 2 for r in retaken)

    # and get delivered (at least once)
    transport = ScriptedTransport()
    assert drain(app.sessions, transport, t0 + 3 * lease) == 3
    assert sorted(transport.delivered) == ids


# --- many senders on one database ---------------------------------------------------------


def test_concurrent_claimers_take_every_row_exactly_once(engine):
    """PostgreSQL skips rows others have locked; SQLite serialises the claims on its write lock."""
    migrate.upgrade(engine)
    sessions = session_factory(engine)
    now = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
    with sessions() as session:
        chat = Chat(platform=PLATFORM, external_id="committee", key="committee", kind="committee", title="c")
        session.add(chat)
        session.flush()
        expected = [outbox.enqueue(session, kind="test", text=f"m{i}", now=now, platform=PLATFORM, chat_id=chat.id)
                    for i in range(400)]
        session.commit()

    workers = 4
    start = threading.Barrier(workers)
    claimed: list[list[int]] = [[] for _ in range(workers)]
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            start.wait(timeout=30)
            while True:
                rows = outbox.claim(sessions, PLATFORM, now, limit=5)
                if not rows:
                    return
                claimed[index].extend(r.id for r in rows)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

    every = [i for ids in claimed for i in ids]
    duplicates = [i for i, n in Counter(every).items() if n > 1]
    assert duplicates == []
    assert sorted(every) == sorted(expected)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.attempts == 1, OutboxMessage.locked_until.is_not(None))) == 400


def test_a_refused_card_edit_is_posted_again_and_the_new_card_is_the_one_edited_next(h):
    from bot.delivery import Rejected
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    with h.app.sessions() as s:
        old = s.scalars(select(MessageLink).where(MessageLink.kind == "card:committee")).one()
        old_id, committee = old.external_message_id, old.chat_id
        outbox.enqueue(s, kind="card.committee", text="#1 卡片（已接单）", now=h.now, platform=PLATFORM,
                       chat_id=committee, concern_id=1, payload={"edit": old_id})
        s.commit()
    transport = ScriptedTransport(Rejected("message to edit not found"))
    drain(h.app.sessions, transport, h.now)
    with h.app.sessions() as s:
        again = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "delivery.card_resent")).one()
        assert (again.text, again.chat_id, again.state) == ("#1 卡片（已接单）", committee, "sent")
        cards = s.scalars(select(MessageLink.external_message_id).where(MessageLink.kind == "card:committee")).all()
        assert cards == [again.external_message_id] and old_id not in cards  # the next edit goes to the new card


def test_a_refused_file_is_reported_to_who_asked_and_to_the_coordinators(app, t0):
    from bot.delivery import Rejected
    from storage import files
    with app.sessions() as s:
        file_id = files.save(s, name="台账.xlsx", media_type="application/vnd.ms-excel", content=b"x" * 10, now=t0)
        s.commit()
    enqueue(app, now=t0, text="📎 台账 2026-03", person_id=person_id(app, "ma"), payload={"file": file_id})
    transport = ScriptedTransport(Rejected("Request Entity Too Large"))
    drain(app.sessions, transport, t0)
    told = {label for _, label in transport.calls[1:]}  # what was sent after the refusal
    assert told == {"coordinators", "@ma"}


def test_a_burst_of_supports_waits_as_one_edit_per_card_showing_the_last_count(h: Harness):
    """Ten supports while the sender is busy: each card is edited once, to the count as it
    now stands, instead of ten times in a row (Telegram allows a group 20 a minute)."""
    import dataclasses
    from handlers.messages import Incoming
    caps = h.app.dispatcher.caps
    h.app.dispatcher.caps = caps.with_platform(PLATFORM, dataclasses.replace(caps.of(PLATFORM), edits=True))
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    for i in range(10):  # handled, not yet sent
        result = h.app.dispatcher.handle(Incoming(
            platform=PLATFORM, chat_id="grid-1", sender_id=f"r{i}", sender_name=f"r{i}", text="/附议 1",
            at=h.now, message_id=f"s{i}", event_id=f"s{i}"))
        assert result.status == "done"
    with h.app.sessions() as s:
        edits = s.execute(select(OutboxMessage.kind, OutboxMessage.state, func.count())
                          .where(OutboxMessage.kind.like("card.%")).group_by(OutboxMessage.kind, OutboxMessage.state)
                          ).all()
    assert sorted(edits) == [("card.committee", "pending", 1), ("card.committee", "superseded", 9),
                             ("card.grid", "pending", 1), ("card.grid", "superseded", 9)]
    before = len(h.transport.sent)
    h.flush()
    cards = [m for m in h.transport.sent[before:] if m.kind.startswith("card.")]
    assert len(cards) == 2 and all("11" in m.text for m in cards), [m.text for m in cards]
    acks = [m for m in h.transport.sent[before:] if "已附议 #1" in m.text]
    assert len(acks) == 10, {m.kind for m in h.transport.sent[before:]}  # every answer still goes
