"""Coordinators' hold on a poll: its quorum and passing rule, and reopening a closed one."""
from __future__ import annotations

import re

from storage import outbox, queries, schedule

from . import buttons
from .common import load, move, require
from .context import Context, Lazy
from .lifecycle import Refused
from .tally import quorum, share_text
from .timeparse import find_deadline

_FRACTION = re.compile(r"^(\d+)\s*/\s*(\d+)$")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)\s*%$")
PLURALITY = ("多数", "相对多数", "plurality", "majority")


def set_quorum(ctx: Context, args: str) -> None:
    """``/quorum 12 5`` (voters) or ``/quorum 12 60%`` (share of the electorate)."""
    concern, rest = load(ctx, args, "/quorum 12 5")
    require(ctx, concern, "quorum")
    poll = _open_poll(ctx, concern)
    value = rest.strip()
    percent = _PERCENT.match(value)
    if value.isdecimal() and len(value) <= 4 and int(value) > 0:  # ² is a digit, not a number; 10⁴ voters is plenty
        poll.quorum_count = int(value)
    elif percent and 0 < float(percent.group(1)) <= 100:
        poll.quorum_count, poll.quorum_share = None, float(percent.group(1)) / 100
    else:
        raise Refused("refused.bad_quorum", number=concern.id)
    _announce(ctx, concern, poll)


def set_passing(ctx: Context, args: str) -> None:
    """``/passing 12 2/3`` (share of votes cast the leading option needs) or ``/passing 12 多数``."""
    concern, rest = load(ctx, args, "/passing 12 2/3")
    require(ctx, concern, "quorum")
    poll = _open_poll(ctx, concern)
    value = rest.strip().lower()
    fraction, percent = _FRACTION.match(value), _PERCENT.match(value)
    if value in PLURALITY:
        poll.threshold = None
    elif fraction and 0 < int(fraction.group(1)) <= int(fraction.group(2)):
        poll.threshold = int(fraction.group(1)) / int(fraction.group(2))
    elif percent and 0 < float(percent.group(1)) <= 100:
        poll.threshold = float(percent.group(1)) / 100
    else:
        raise Refused("refused.bad_quorum", number=concern.id)
    _announce(ctx, concern, poll)


def repoll(ctx: Context, args: str) -> None:
    """``/repoll 12 [24h]``: open the last closed poll again (votes kept, a new deadline)."""
    concern, rest = load(ctx, args, "/repoll 12 24h")
    require(ctx, concern, "repoll")
    poll = queries.latest_deliberation(ctx.session, concern.id)
    if poll is None or poll.state == "open":
        raise Refused("refused.no_poll", number=concern.id)
    closes_at, _, named = find_deadline(rest, ctx.now, ctx.settings.zone)
    if named and closes_at is None:
        raise Refused("refused.bad_deadline", value=named)
    closes_at = closes_at or ctx.now + ctx.settings.poll_duration[concern.size]
    poll.state, poll.result, poll.closed_at, poll.closes_at = "open", "", None, closes_at
    if concern.state == "claimed":  # it had gone back to the coordinators: back to the vote
        move(ctx, concern, "deliberate" if poll.kind == "committee" else "republish", repoll=True)
    schedule.schedule(ctx.session, kind="poll_close", due_at=closes_at, now=ctx.now, concern_id=concern.id,
                      dedupe_key=f"poll_close:{poll.id}:{closes_at.isoformat()}", payload={"deliberation": poll.id})
    ctx.audit(concern, "repoll", concern.state, concern.state, deliberation=poll.id)
    params = dict(number=concern.id, deadline=ctx.local(closes_at))
    ctx.reply("repoll.opened", concern=concern, **params)
    rows = buttons.vote(concern.id, [(o.position, o.text) for o in poll.options])
    if poll.kind == "residents":
        ctx.to_grid(concern, "repoll.opened", buttons=rows, **params)
        return
    for chat in queries.chats_of_kind(ctx.session, "committee"):
        native = ctx.caps.polls(chat) and not poll.hide_results
        ctx.to_chat(chat, "repoll.opened", concern=concern, buttons=() if native else rows, **params)
        if native:  # a stopped native poll cannot be reopened: a fresh one carries the votes on
            outbox.enqueue(ctx.session, kind="poll.open", text=ctx.mask_for(chat, poll.question), now=ctx.now, platform=chat.platform,
                           chat_id=chat.id, concern_id=concern.id, payload={"poll": poll.id})


def _open_poll(ctx: Context, concern):
    poll = queries.latest_deliberation(ctx.session, concern.id)
    if poll is None or poll.state != "open":
        raise Refused("refused.no_poll", number=concern.id)
    return poll


def _announce(ctx: Context, concern, poll) -> None:
    passing = (Lazy.of("passing.plurality") if poll.threshold is None
               else Lazy.of("passing.threshold", share=share_text(poll.threshold)))
    rule = Lazy.of("quorum.rule", quorum=quorum(poll), passing=passing)
    ctx.audit(concern, "quorum", concern.state, concern.state, quorum=quorum(poll), threshold=poll.threshold)
    ctx.reply("quorum.changed", concern=concern, number=concern.id, rule=rule)
    ctx.to_committee("quorum.changed", concern=concern, number=concern.id, rule=rule)

