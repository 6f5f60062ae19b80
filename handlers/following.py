"""关注: who gets a concern's progress privately besides its reporter.

Supporting a concern (附议) follows it. ``/unfollow`` stops the private pushes and keeps the
support (it still counts); ``/follow`` turns them back on. The reporter always hears.
"""
from __future__ import annotations

from storage import queries

from .common import load
from .context import Context
from .lifecycle import Refused


def follow(ctx: Context, args: str) -> None:
    _set(ctx, args, True, "/follow 12")


def unfollow(ctx: Context, args: str) -> None:
    _set(ctx, args, False, "/unfollow 12")


def _set(ctx: Context, args: str, on: bool, example: str) -> None:
    concern, _ = load(ctx, args, example)
    assert ctx.actor is not None
    if concern.reporter_id == ctx.actor.id:
        raise Refused("refused.reporter_follows", private=ctx.discreet(concern), number=concern.id)
    support = queries.support_of(ctx.session, concern.id, ctx.actor.id)
    if support is None:
        raise Refused("refused.follow_needs_support", number=concern.id)
    changed = support.follow != on
    support.follow = on
    if changed:
        ctx.audit(concern, "follow" if on else "unfollow")
    ctx.reply("follow.on" if on else "follow.off", number=concern.id)
