"""Small helpers shared by the command handlers: finding the concern, moving its state."""
from __future__ import annotations

from storage import queries
from storage.models import Concern

from .commands import split_number
from .context import Context, Word
from .lifecycle import Refused, Role, check


MAX_NUMBER = 2**31 - 1  # the largest concern number a database integer column holds


def load(ctx: Context, args: str, example: str, *, lock: bool = True) -> tuple[Concern, str]:
    """The concern named at the start of ``args`` and the rest of the text.

    The concern's row stays locked until the command's transaction ends (``lock``), so that
    commands on one concern run one after the other; a view that only reads passes False.
    """
    number, rest = split_number(args)
    if number is None:
        raise Refused("refused.need_number", example=example)
    if number > MAX_NUMBER:  # no such concern, and the database's integer cannot even hold it
        raise Refused("refused.no_such", number=number)
    concern = queries.concern(ctx.session, number, lock=lock)
    if concern is None:
        raise Refused("refused.no_such", number=number)
    return concern, rest


def require(ctx: Context, concern: Concern, action: str) -> str:
    """Check ``action`` against the state machine and the actor's role; return the target state."""
    return check(action, concern.state, ctx.role, concern.id)


def move(ctx: Context, concern: Concern, action: str, **detail: object) -> None:
    """Apply ``action``: check it, change the state, stamp the time and write the audit line."""
    target = require(ctx, concern, action)
    before = concern.state
    concern.state = target
    concern.updated_at = ctx.now
    ctx.touch(concern)
    ctx.audit(concern, action, before, target, **detail)


def require_role(ctx: Context, role: Role, action: str) -> None:
    if ctx.role < role:
        raise Refused("refused.role", action_name=Word("action", action), role_name=Word("role", role.name.lower()))


def need_text(text: str, example: str) -> str:
    if not text.strip():
        raise Refused("refused.need_text", example=example)
    return text.strip()

