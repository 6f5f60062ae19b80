"""The concern state machine and who may move it.

reported → claimed → (deliberating →) decided (→ notice →) → in_progress → resolved → closed, with
reopened (a dissatisfied survey or a coordinator) and converted / rejected / withdrawn as
exits. Every action names the states it may start from, where it leads and the least
role that may take it; ``check`` refuses anything else and changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

from .texts import Word


class State(StrEnum):
    REPORTED = "reported"
    CLAIMED = "claimed"
    DELIBERATING = "deliberating"
    DECIDED = "decided"
    NOTICE = "notice"  # 张榜公示 (and the residents' vote) of a big matter's plan
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    CONVERTED = "converted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Role(IntEnum):
    """Roles in rising order: a coordinator may do whatever a member may."""

    RESIDENT = 0
    MEMBER = 1
    COORDINATOR = 2
    ADMIN = 3
    SYSTEM = 9

    @classmethod
    def of(cls, names: set[str] | frozenset[str]) -> "Role":
        ranks = [cls[n.upper()] for n in names if n.upper() in cls.__members__]
        return max(ranks, default=cls.RESIDENT)


S = State
#: States in which a concern still needs work (figures call these "open").
OPEN = frozenset({S.REPORTED, S.CLAIMED, S.DELIBERATING, S.DECIDED, S.NOTICE, S.IN_PROGRESS, S.REOPENED})
#: States after which nothing happens unless a coordinator reopens.
FINAL = frozenset({S.CLOSED, S.CONVERTED, S.REJECTED, S.WITHDRAWN})


#: Who sits on the committee (votes in its polls, counts towards its quorum).
COMMITTEE_ROLES = ("member", "coordinator")


@dataclass(frozen=True)
class Rule:
    sources: frozenset[State]
    target: State | None  # None: the action records something and leaves the state alone
    role: Role


RULES: dict[str, Rule] = {
    "claim": Rule(frozenset({S.REPORTED, S.REOPENED}), S.CLAIMED, Role.MEMBER),
    "size": Rule(OPEN, None, Role.MEMBER),
    "category": Rule(OPEN, None, Role.MEMBER),
    "deliberate": Rule(frozenset({S.CLAIMED}), S.DELIBERATING, Role.MEMBER),
    "poll_closed": Rule(frozenset({S.DELIBERATING}), None, Role.SYSTEM),
    "no_quorum": Rule(frozenset({S.DELIBERATING}), S.CLAIMED, Role.SYSTEM),
    "decide": Rule(frozenset({S.CLAIMED, S.DELIBERATING}), S.DECIDED, Role.MEMBER),
    "publish": Rule(frozenset({S.DECIDED}), S.NOTICE, Role.MEMBER),
    "notice_done": Rule(frozenset({S.NOTICE}), S.DECIDED, Role.SYSTEM),
    "notice_failed": Rule(frozenset({S.NOTICE}), S.CLAIMED, Role.SYSTEM),
    "republish": Rule(frozenset({S.CLAIMED}), S.NOTICE, Role.COORDINATOR),
    "repoll": Rule(frozenset({S.CLAIMED, S.DELIBERATING, S.NOTICE}), None, Role.COORDINATOR),
    "quorum": Rule(frozenset({S.DELIBERATING, S.NOTICE}), None, Role.COORDINATOR),
    "assign": Rule(frozenset({S.DECIDED, S.IN_PROGRESS}), S.IN_PROGRESS, Role.MEMBER),
    "progress": Rule(frozenset({S.DECIDED, S.IN_PROGRESS}), S.IN_PROGRESS, Role.MEMBER),
    "resolve": Rule(frozenset({S.DECIDED, S.IN_PROGRESS}), S.RESOLVED, Role.MEMBER),
    "close": Rule(frozenset({S.RESOLVED}), S.CLOSED, Role.RESIDENT),
    "survey_reopen": Rule(frozenset({S.RESOLVED, S.CLOSED}), S.REOPENED, Role.RESIDENT),
    "reopen": Rule(frozenset({S.RESOLVED, S.CLOSED, S.REJECTED}), S.REOPENED, Role.COORDINATOR),
    "convert": Rule(OPEN, S.CONVERTED, Role.COORDINATOR),
    "reject": Rule(frozenset({S.REPORTED, S.CLAIMED, S.REOPENED, S.DELIBERATING}), S.REJECTED, Role.COORDINATOR),
    "withdraw": Rule(frozenset({S.REPORTED, S.CLAIMED, S.REOPENED}), S.WITHDRAWN, Role.RESIDENT),
    "support": Rule(OPEN, None, Role.RESIDENT),
    "comment": Rule(OPEN | {S.RESOLVED}, None, Role.RESIDENT),
}


class Refused(Exception):
    """A request the rules do not allow; ``key`` and ``params`` name the text to answer with.

    ``private`` asks for the answer in the sender's private chat (when answering in the
    group would point at an anonymous reporter).
    """

    def __init__(self, key: str, *, private: bool = False, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
        self.private = private  # answer in the sender's private chat, not the group


def check(action: str, state: State | str, role: Role, number: int | None = None) -> State:
    """Return the state ``action`` leads to from ``state``, or raise ``Refused``.

    The role is checked first: a resident trying to claim is told it is a members' action,
    not that the concern is in the wrong state.
    """
    rule = RULES[action]
    state = State(state)
    if role < rule.role:
        raise Refused("refused.role", action_name=Word("action", action),
                      role_name=Word("role", rule.role.name.lower()))
    if state not in rule.sources:
        raise Refused("refused.state", number=number, state_name=Word("state", state.value),
                      action_name=Word("action", action))
    return rule.target or state
