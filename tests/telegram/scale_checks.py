"""What the scale-out test reads and checks: the shared database, the sandbox's requests,
and the expectations computed from the updates it made (``scale_traffic``)."""
from __future__ import annotations

import asyncio
import re
import time
from collections import Counter

from sqlalchemy import func, select, text

from sandbox.telegram import BotApiSandbox
from storage.db import make_engine
from storage.models import AuditEntry, Concern, Deliberation, InboundUpdate, OutboxMessage, ScheduledJob, Support, Vote

from .scale_traffic import Concern as Matter, Expected
from .scale_world import COMMITTEE, COORDINATORS, MEMBERS, grid_chat

SENDS = {"sendMessage", "editMessageText", "sendPoll", "stopPoll", "sendDocument", "sendPhoto",
         "editMessageReplyMarkup", "createForumTopic"}
NUMBER = re.compile(r"#(\d+)")


class Watch:
    """The shared database, read by the test."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)

    def scalar(self, stmt):
        with self.engine.connect() as c:
            return c.scalar(stmt)

    def unhandled(self) -> int:
        return self.scalar(select(func.count()).select_from(InboundUpdate).where(InboundUpdate.handled_at.is_(None)))

    def stored(self) -> int:
        return self.scalar(select(func.count()).select_from(InboundUpdate))

    def unsent(self) -> int:
        return self.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "pending"))

    def come_due(self, kind: str) -> int:
        """Time passes for ``kind``: its pending checks are due now (the processes' clock is real)."""
        with self.engine.begin() as c:
            return c.execute(text("UPDATE scheduled_jobs SET due_at = due_at - interval '40 days' "
                                  "WHERE kind = :kind AND state = 'pending'"), {"kind": kind}).rowcount


async def settled(sb: BotApiSandbox, watch: Watch, delivered: int, timeout: float) -> None:
    """Every update the sandbox delivered so far is stored and handled, and everything sent
    (looked at four times a second: the database is busy enough)."""
    deadline = time.monotonic() + timeout
    while not (not sb.hub.pending and watch.stored() == delivered and watch.unhandled() == 0
               and watch.unsent() == 0):
        assert time.monotonic() < deadline, (f"not settled after {timeout}s: {len(sb.hub.pending)} updates "
                                             f"waiting, {watch.stored()}/{delivered} stored, {watch.unhandled()} "
                                             f"unhandled, {watch.unsent()} unsent")
        await asyncio.sleep(0.25)


def matters_of(sb: BotApiSandbox, rows, messages) -> list[Matter]:
    """Each concern with its card in the grid (the answer with buttons) and who reported it,
    most reported first."""
    sender = {(grid_chat(r.grid), m): r.sender for r, m in messages}
    told: dict[int, set[tuple[int, int]]] = {}
    for number, chat, message_id in rows:
        told.setdefault(number, set()).add((int(chat), int(message_id)))
    cards = {(chat, m["reply_to_message"]["message_id"]): m["message_id"]
             for chat in {c for c, _ in sender} for m in sb.sent(chat)
             if "reply_to_message" in m and m.get("reply_markup")}
    out = []
    for number, ids in told.items():
        [(chat, card)] = [(c, cards[(c, m)]) for c, m in ids if (c, m) in cards]  # one card per concern
        out.append(Matter(number, chat, card, frozenset(sender[i] for i in ids)))
    return sorted(out, key=lambda c: (-len(c.senders), c.number))


def delivered_updates(sb: BotApiSandbox) -> int:
    """Updates made so far of the kinds the bot asked for (a vote also makes a ``poll`` update)."""
    return sum(1 for u in sb.hub.history if "poll" not in u)


async def feed(sb: BotApiSandbox, acts, perform_one, *, window: int = 150, events=None) -> None:
    """Queue the acts as the webhook takes them, keeping ``window`` updates waiting at most;
    ``events`` maps a share of the way through (0.5) to what happens then."""
    at = {int(len(acts) * share): event for share, event in (events or {}).items()}
    for i, act in enumerate(acts):
        while len(sb.hub.pending) >= window:
            await asyncio.sleep(0.005)
        perform_one(act)
        if i in at:
            at[i]()


def check_counts(watch: Watch, concerns: list[Matter], expected: Expected, poll_ids, options: int,
                 updates: int) -> None:
    """Concerns, supports and votes are exactly what one-after-another handling gives."""
    with watch.engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(Concern)) == len(concerns)
        stored = dict(c.execute(select(Support.concern_id, func.count()).group_by(Support.concern_id)).all())
        wrong = {k.number: (stored.get(k.number, 0), expected.support_count(k)) for k in concerns
                 if stored.get(k.number, 0) != expected.support_count(k)}
        assert wrong == {}, f"supports (stored, one after another): {wrong}"
        assert c.scalar(select(func.count()).select_from(InboundUpdate)) == updates  # each stored once
        assert c.scalar(select(func.count()).select_from(InboundUpdate).where(InboundUpdate.handled_at.is_(None))) == 0
        for number in poll_ids:
            rows = c.execute(select(Vote.person_id, Vote.option_id).join(Deliberation).where(
                Deliberation.concern_id == number)).all()
            positions = dict(c.execute(text("SELECT o.id, o.position FROM deliberation_options o JOIN deliberations d "
                                            "ON d.id = o.deliberation_id WHERE d.concern_id = :n"), {"n": number}).all())
            tally = [0] * options
            for _, option_id in rows:
                tally[positions[option_id] - 1] += 1
            assert len(rows) == MEMBERS, (number, len(rows))
            assert tally == expected.tally(number, options), (number, tally, expected.tally(number, options))


def check_delivery(sb: BotApiSandbox, watch: Watch) -> None:
    """Every outbox row sent once (or, an edit, overtaken by a newer edit of the same message before it
    was sent): as many sending requests that took effect as rows marked sent."""
    ok = Counter(c.method for c in sb.calls if c.method in SENDS and took_effect(c))
    with watch.engine.connect() as c:
        states = dict(c.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())
        kinds = dict(c.execute(select(OutboxMessage.kind, func.count()).where(OutboxMessage.state == "unreachable")
                               .group_by(OutboxMessage.kind)).all())
        ids = [(m, chat) for m, chat, payload in c.execute(select(
            OutboxMessage.external_message_id, OutboxMessage.chat_id, OutboxMessage.payload).where(
            OutboxMessage.state == "sent")) if not {"edit", "stop_poll"} & set(payload)]
    print(f"[scale] outbox rows {dict(states)} (unreachable: {kinds}); sandbox requests {dict(ok)}")
    assert set(states) <= {"sent", "unreachable", "superseded"}, states  # superseded: an edit overtaken by a newer one
    assert sum(ok.values()) == states["sent"], (ok, states)
    assert len(set(ids)) == len(ids)  # no message sent twice under two rows


def took_effect(call) -> bool:
    """Sent, or already so: an edit to the same text, a stop of a closed poll (the sender counts
    both as delivered)."""
    answer = call.answer or {}
    if answer.get("ok"):
        return True
    why = answer.get("description", "")
    return (call.method == "editMessageText" and "not modified" in why) or (
        call.method == "stopPoll" and "already closed" in why)


def check_scheduled_work(sb: BotApiSandbox, watch: Watch, concerns: list[Matter], claims, expected: Expected,
                         options: list[str]) -> None:
    """Each deadline check and poll close ran once: one message per overdue concern, one result per poll."""
    claimed = {int(words.split()[1]) for _, _, words in claims}
    overdue = Counter(int(NUMBER.search(m["text"]).group(1)) for m in sb.sent(COMMITTEE) if "仍无人接单" in m.get("text", ""))
    assert overdue == Counter({c.number: 1 for c in concerns if c.number not in claimed})
    alerts = Counter(int(NUMBER.search(m["text"]).group(1)) for m in sb.sent(COORDINATORS) if "仍无人接单" in m.get("text", ""))
    assert alerts == overdue
    results = [m["text"] for m in sb.sent(COMMITTEE) if "协商结束" in m.get("text", "")]
    assert Counter(int(NUMBER.search(r).group(1)) for r in results) == Counter({n: 1 for n in expected.votes})
    for result in results:  # the tally the committee reads is the exact one
        number = int(NUMBER.search(result).group(1))
        counts = expected.tally(number, len(options))
        assert "，".join(f"{o} {n}" for o, n in zip(options, counts)) in result, result
    with watch.engine.connect() as c:
        jobs = Counter(c.execute(select(ScheduledJob.kind, ScheduledJob.state).where(
            ScheduledJob.kind.in_(("sla_response", "poll_close")))).all())
        closed = Counter(c.execute(select(AuditEntry.concern_id).where(AuditEntry.action == "poll_closed")).scalars())
    # a claim answers the report: its response check is cancelled; every other check ran
    assert jobs == Counter({("sla_response", "done"): len(concerns) - len(claimed),
                            ("sla_response", "cancelled"): len(claimed), ("poll_close", "done"): len(expected.votes)})
    assert closed == Counter({number: 1 for number in expected.votes})


def check_cards(sb: BotApiSandbox, concerns: list[Matter], expected: Expected) -> None:
    """What residents see last on each concern's card in their group: everyone who reported
    or supported it, counted once (a stale edit sent after a newer one would show fewer).

    A card still shows the first answer, with no count, if every support came before that
    answer was sent (an edit needs the sent card; see the report): allowed only when nobody
    supported the concern after the reports, when the card was out."""
    wrong = {}
    for concern in concerns:
        card = sb.message(concern.chat, concern.card)["text"]
        count = re.search(r"现有 (\d+) 人反映", card)
        right = expected.support_count(concern) + 1
        if count is None and right == len(concern.senders):
            continue
        if count is None or int(count.group(1)) != right:
            wrong[concern.number] = (int(count.group(1)) if count else None, right)
    assert wrong == {}  # number: (shown, right)
