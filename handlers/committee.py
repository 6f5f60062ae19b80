"""委员接单: claiming, sizing (小事/大事/急事) and re-filing a concern."""
from __future__ import annotations

from storage.models import CategoryCorrection

from storage import schedule

from . import sla
from .common import load, move, require
from .context import Context, Word, concern_params
from .lifecycle import Refused

SIZE_WORDS = {"小事": "small", "small": "small", "大事": "big", "big": "big", "急事": "urgent", "urgent": "urgent"}


def claim(ctx: Context, args: str) -> None:
    concern, _ = load(ctx, args, "/claim 12")
    move(ctx, concern, "claim")
    concern.claimed_by = ctx.actor
    concern.claimed_at = ctx.now
    concern.first_response_at = concern.first_response_at or ctx.now
    concern.responded_at = concern.responded_at or ctx.now
    schedule.cancel(ctx.session, concern_id=concern.id, kinds=("sla_response",), now=ctx.now)
    ctx.reply("claim.reply", concern=concern, number=concern.id)
    ctx.inform(concern, "claim.inform", number=concern.id, member=ctx.actor.display_name)


def size(ctx: Context, args: str) -> None:
    concern, rest = load(ctx, args, "/size 12 大事")
    require(ctx, concern, "size")
    value = SIZE_WORDS.get(rest.strip().lower())
    if value is None:
        raise Refused("refused.bad_size", number=concern.id)
    before = concern.size
    concern.size, concern.size_confirmed, concern.updated_at = value, True, ctx.now
    ctx.touch(concern)
    if value != before:
        sla.plan(ctx, concern)  # the deadlines follow the size
    ctx.audit(concern, "size", concern.state, concern.state, before=before, after=value)
    ctx.reply("size.reply", concern=concern, number=concern.id, size=Word("size", value))
    if value == "urgent" and before != "urgent":
        ctx.to_coordinators("size.urgent_alert", concern=concern, **concern_params(concern))


def category(ctx: Context, args: str) -> None:
    concern, rest = load(ctx, args, "/category 12 停车管理")
    require(ctx, concern, "category")
    value = rest.strip()
    if value not in ctx.intake.categories:
        raise Refused("refused.bad_category", categories="、".join(ctx.intake.categories))
    before = concern.category
    concern.category, concern.updated_at = value, ctx.now
    if before != value:  # kept as training data for the lexicon (shangliang export --format corrections)
        ctx.session.add(CategoryCorrection(concern_id=concern.id, before=before, after=value, text=concern.text,
                                           by_id=ctx.actor.id, at=ctx.now))
    ctx.touch(concern)
    ctx.audit(concern, "category", concern.state, concern.state, before=before, after=value)
    ctx.reply("category.reply", concern=concern, number=concern.id, category=value)
