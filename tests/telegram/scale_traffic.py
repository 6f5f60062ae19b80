"""The burst of the scale-out test as data: who supports which concern how, who votes what,
and what the counts must be when the same updates are handled one after another.

Every action is a user's act in the sandbox (a button press, a "+1" reply, a command, a
native poll vote), so the bot sees real Telegram updates. The expectations are computed
from the actions themselves, never written down as numbers.
"""
from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field

from .scale_world import COMMITTEE, MEMBERS, RESIDENTS, member_id, resident_id


@dataclass(frozen=True)
class Concern:
    number: int
    chat: int          # its grid's group
    card: int          # the bot's answer to the first report: the grid card, with its buttons
    senders: frozenset[int]  # everyone who reported it (the first is its reporter, the others support)


@dataclass(frozen=True)
class Act:
    kind: str          # press, plus_one, command, vote
    user: int
    number: int        # the concern
    option: int = 0    # vote: 0-based option


@dataclass
class Expected:
    supporters: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    votes: dict[int, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))  # number -> user -> option

    def support_count(self, concern: Concern) -> int:
        """Supports stored one after another: one per person, never the reporter's own."""
        return len(self.supporters[concern.number] | concern.senders) - 1

    def tally(self, number: int, options: int) -> list[int]:
        counts = [0] * options
        for option in self.votes[number].values():
            counts[option] += 1
        return counts


def burst(concerns: list[Concern], polls: list[int], total: int, rng: random.Random,
          options: int = 3, changes: float = 0.25) -> tuple[list[Act], Expected]:
    """``total`` acts: every member votes once in every poll (a quarter change their vote
    later), the rest supports, most of them on a few hot concerns, by the three ways a
    resident supports; some residents support twice, some reporters their own report."""
    acts: list[Act] = []
    for number in polls:
        for m in range(MEMBERS):
            acts.append(Act("vote", member_id(m), number, rng.randrange(options)))
    changed = [Act("vote", a.user, a.number, (a.option + 1 + rng.randrange(options - 1)) % options)
               for a in acts if rng.random() < changes]
    hot = concerns[:8]
    while len(acts) + len(changed) < total:
        concern = rng.choice(hot) if rng.random() < 0.7 else rng.choice(concerns)
        if rng.random() < 0.01:
            user = min(concern.senders)  # a reporter (or a folded duplicate) pressing +1 on it
        else:
            user = resident_id(rng.randrange(RESIDENTS))
        kind = rng.choices(("press", "plus_one", "command"), weights=(4, 3, 3))[0]
        acts.append(Act(kind, user, concern.number))
    rng.shuffle(acts)
    for change in changed:  # after the vote it changes
        first = next(i for i, a in enumerate(acts) if a.kind == "vote" and a.user == change.user
                     and a.number == change.number)
        acts.insert(rng.randrange(first + 1, len(acts) + 1), change)
    expected = Expected()
    for act in acts:
        if act.kind == "vote":
            expected.votes[act.number][act.user] = act.option
        else:
            expected.supporters[act.number].add(act.user)
    return acts, expected


def perform(sb, act: Act, concerns: dict[int, Concern], poll_ids: dict[int, str]) -> None:
    """Do ``act`` in the sandbox: the update it makes is queued for the bot's webhook."""
    if act.kind == "vote":
        sb.vote(poll_ids[act.number], act.user, [act.option])
        return
    concern = concerns[act.number]
    if act.kind == "press":
        sb.press(concern.chat, concern.card, act.user, f"/support {act.number}")
    elif act.kind == "plus_one":
        sb.user_says(concern.chat, act.user, "+1", reply_to=concern.card)
    else:
        sb.user_says(concern.chat, act.user, f"/support {act.number}" if act.user % 2 else f"/附议 {act.number}")


def committee_commands(concerns: list[Concern], deliberated: int, claimed_only: int) -> tuple[list, list]:
    """Members claim the first ``deliberated + claimed_only`` concerns; the first
    ``deliberated`` then get a committee poll. (user, chat, text) each."""
    claims, polls = [], []
    for i, concern in enumerate(concerns[:deliberated + claimed_only]):
        member = member_id(i % MEMBERS)
        claims.append((member, COMMITTEE, f"/接单 {concern.number}"))
        if i < deliberated:
            polls.append((member, COMMITTEE, f"/协商 {concern.number}"))
    return claims, polls
