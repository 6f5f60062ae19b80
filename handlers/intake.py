"""听邻说事: reports, supports (附议), withdrawals and comments from residents."""
from __future__ import annotations

import unicodedata
from datetime import timedelta

from sqlalchemy import func, select

from storage import queries, schedule
from storage.models import CategoryCorrection, Comment, Concern, MessageLink, SourceMessage, Support

from . import buttons, folding, second_opinion, sla, surveys
from .common import load, move, require
from .context import Context, Word, concern_params
from .lifecycle import Refused, Role
from .texts import t

POSITIONS = {"支持": "support", "中立": "neutral", "反对": "oppose"}


def report(ctx: Context, args: str) -> None:
    """Register a concern from a tagged message or ``/report [匿名] [网格] text``."""
    body = args.strip()
    anonymous = False
    first, _, rest = body.partition(" ")
    if first.lower() in ctx.settings.anonymous_words:
        anonymous, body = True, rest.strip()
    grid, body = _grid_for(ctx, body)
    analysis = ctx.intake.analyse(body)
    if not any(unicodedata.category(ch)[0] in "LN" for ch in analysis.text):
        raise Refused("refused.empty_report")
    assert ctx.actor is not None and ctx.chat is not None
    _check_flood(ctx)
    duplicate = folding.find(ctx.session, grid.id, analysis)
    if duplicate is not None:
        _fold(ctx, duplicate, body)
        return
    concern = Concern(text=body, category=analysis.category, size=analysis.size, state="reported", grid=grid,
                      location=analysis.place.display[:200], reporter=ctx.actor, anonymous=anonymous,
                      created_at=ctx.now, updated_at=ctx.now)
    sla.set_deadlines(concern, ctx.settings)  # before the insert: written with it, not as an update
    ctx.session.add(concern)
    ctx.session.flush()
    folding.index(ctx.session, concern, analysis)
    sla.plan(ctx, concern, new=True)
    second_opinion.request(ctx, concern)
    _record_source(ctx, concern, "report")
    if ctx.actor.home_grid_id is None:
        ctx.actor.home_grid_id = grid.id
    ctx.audit(concern, "report", None, "reported", anonymous=anonymous, words=list(analysis.category_words),
              size_words=list(analysis.size_words), location=concern.location)
    params = concern_params(concern)
    if not anonymous:
        ctx.reply("report.ack", concern=concern, buttons=buttons.resident(concern.id),
                  payload={"card": "grid"} if ctx.chat.kind == "grid" else None, **params)
    else:
        private = ctx.chat.kind == "private"
        ctx.reply("report.ack_anonymous" if private else "report.ack_anonymous_group", concern=concern, **params)
    if ctx.chat.kind != "grid" or ctx.chat.grid_id != grid.id:
        ctx.to_grid(concern, "report.grid_notice", skip_chat=False, buttons=buttons.resident(concern.id),
                    payload={"card": "grid"}, **params)
    reporter = ctx.actor.display_name if not anonymous else None
    ctx.to_committee("report.card", concern=concern, buttons=buttons.member(concern.id),
                     payload={"card": "committee"}, reporter=reporter or _anonymous_word(ctx), **params)
    if concern.size == "urgent":  # 急事速议: the coordinators hear at once, before anyone sizes it
        if analysis.size_words:  # and why: the words that made it urgent
            ctx.to_coordinators("intake.urgent_alert", concern=concern, why="、".join(analysis.size_words[:4]), **params)
        else:
            ctx.to_coordinators("size.urgent_alert", concern=concern, **params)


def _fold(ctx: Context, concern: Concern, body: str) -> None:
    """The report repeats an open concern: it becomes a support (附议), not a second concern.

    Someone who already reported or supported it adds nobody; what they wrote is still kept
    (the source message, and its words in the concern's thread), never dropped: "still broken,
    worse now" is news, and if the fold was wrong a member reads it there and can act."""
    if concern.reporter_id == ctx.actor.id or queries.support_of(ctx.session, concern.id, ctx.actor.id):
        _record_source(ctx, concern, "repeat")
        if body.strip() and body.strip() != concern.text.strip():
            ctx.session.add(Comment(concern_id=concern.id, person_id=ctx.actor.id, chat_id=ctx.chat.id,
                                    text=body.strip(), position="", at=ctx.now))
            ctx.audit(concern, "comment", position="", repeat=True)
        ctx.reply("report.again", concern=concern, private=ctx.discreet(concern), number=concern.id,
                  state=Word("state", concern.state))
        return
    add_support(ctx, concern, key="support.folded")


def _check_flood(ctx: Context) -> None:
    """More reports in a minute than anyone writes by hand: answer once, keep nothing half-done."""
    since = ctx.now - timedelta(minutes=1)
    recent = ctx.session.scalar(select(func.count()).select_from(SourceMessage).where(
        SourceMessage.person_id == ctx.actor.id, SourceMessage.at > since)) or 0
    if recent >= ctx.settings.flood_per_minute:
        raise Refused("refused.flood", limit=ctx.settings.flood_per_minute)


def support(ctx: Context, args: str) -> None:
    concern, _ = load(ctx, args, "/support 12")
    add_support(ctx, concern)


def add_support(ctx: Context, concern: Concern, *, key: str = "support.ack") -> None:
    """附议: one per person; the reporter is told nothing new, the supporter the count."""
    require(ctx, concern, "support")
    assert ctx.actor is not None
    count = 1 + queries.support_count(ctx.session, concern.id)
    if concern.reporter_id == ctx.actor.id:
        raise Refused("refused.own_concern", private=ctx.discreet(concern), number=concern.id)
    if queries.support_of(ctx.session, concern.id, ctx.actor.id):
        raise Refused("refused.already_supported", number=concern.id, count=count)
    ctx.session.add(Support(concern=concern, person=ctx.actor, follow=True, at=ctx.now))
    ctx.touch(concern)
    _record_source(ctx, concern, "support")
    ctx.audit(concern, "support")
    concern.updated_at = ctx.now
    ctx.reply(key, concern=concern, number=concern.id, count=count + 1)


def withdraw(ctx: Context, args: str) -> None:
    """撤回; for an anonymous concern asked in a group, every answer (a refusal too) goes
    privately, and the group is told later in neutral words (``surveys.inform_later``)."""
    concern, _ = load(ctx, args, "/withdraw 12")
    assert ctx.actor is not None
    hidden = surveys.answers_hidden(ctx, concern)
    try:
        if concern.reporter_id != ctx.actor.id and ctx.role < Role.COORDINATOR:
            raise Refused("refused.not_reporter", number=concern.id)
        move(ctx, concern, "withdraw")
    except Refused as refusal:  # where the refusal goes must not tell the group who the reporter is
        refusal.private = refusal.private or hidden
        raise
    schedule.cancel(ctx.session, concern_id=concern.id, kinds=("survey_send", "poll_close", "poll_reminder"),
                    now=ctx.now)
    ctx.reply("withdraw.inform", concern=concern, private=hidden, number=concern.id)
    if concern.anonymous:
        surveys.inform_later(ctx, concern, "withdraw.inform_neutral", number=concern.id)
        ctx.to_committee("withdraw.inform_neutral", concern=concern, number=concern.id)
        return
    ctx.inform(concern, "withdraw.inform", number=concern.id)
    ctx.to_committee("withdraw.inform", concern=concern, number=concern.id)


def comment(ctx: Context, args: str) -> None:
    concern, text = load(ctx, args, "/comment 12 支持：先修东门")
    add_comment(ctx, concern, text, acknowledge=True)


def add_comment(ctx: Context, concern: Concern, text: str, *, acknowledge: bool) -> None:
    """A comment in the concern's thread; ``支持：…`` marks it as a position."""
    require(ctx, concern, "comment")
    text = text.strip()
    if not text:
        raise Refused("refused.need_text", example=f"/comment {concern.id} 支持：先修东门")
    position = ""
    for word, value in POSITIONS.items():
        if text.startswith(word) and text[len(word):len(word) + 1] in ("：", ":", " ", ""):
            position, text = value, text[len(word) + 1:].strip() or text
            break
    deliberation = queries.latest_deliberation(ctx.session, concern.id)
    assert ctx.actor is not None
    ctx.session.add(Comment(concern_id=concern.id, person_id=ctx.actor.id,
                            deliberation_id=deliberation.id if deliberation and deliberation.state == "open" else None,
                            chat_id=ctx.chat.id if ctx.chat else None, text=text, position=position, at=ctx.now))
    ctx.audit(concern, "comment", position=position)
    if ctx.role >= Role.MEMBER and concern.responded_at is None:  # a member's reply answers the report
        concern.responded_at = ctx.now
    if acknowledge:
        ctx.reply("comment.ack", concern=concern, number=concern.id, position=Word("position", position))


def _grid_for(ctx: Context, body: str):
    """The grid a report belongs to: the group's, a leading grid name, or the reporter's home."""
    assert ctx.chat is not None and ctx.actor is not None
    first, _, rest = body.partition(" ")
    named = queries.grid_by_key_or_name(ctx.session, first) if first else None
    if named is not None:
        return named, rest.strip()
    if ctx.chat.grid is not None:
        return ctx.chat.grid, body
    if ctx.actor.home_grid is not None:
        return ctx.actor.home_grid, body
    grids = queries.all_grids(ctx.session)
    raise Refused("refused.private_grid", example_grid=grids[0].key if grids else "grid-1")


def _record_source(ctx: Context, concern: Concern, kind: str) -> None:
    message = ctx.incoming
    assert ctx.actor is not None
    ctx.session.add(SourceMessage(
        concern_id=concern.id, kind=kind, chat_id=ctx.chat.id if ctx.chat else None, person_id=ctx.actor.id,
        external_message_id=message.message_id if message else None,
        event_id=message.event_id if message else None, text=message.text if message else "", at=ctx.now))
    if message and message.message_id and ctx.chat and kind == "report":
        ctx.session.add(MessageLink(chat_id=ctx.chat.id, external_message_id=message.message_id,
                                    concern_id=concern.id, kind="report"))


def _anonymous_word(ctx: Context) -> str:
    return t(ctx.settings.language, "anonymous")





def edit(ctx: Context, args: str) -> None:
    """An edited report: until a member claims it, the concern follows the new wording."""
    message = ctx.incoming
    source = ctx.session.scalars(select(SourceMessage).where(
        SourceMessage.chat_id == ctx.chat.id, SourceMessage.external_message_id == message.message_id,
        SourceMessage.kind == "report")).first()
    if source is None or source.person_id != ctx.actor.id:
        return  # an edit of ordinary chatter, or of someone else's message: nothing to do
    concern = ctx.session.get(Concern, source.concern_id)
    if concern.state != "reported":
        raise Refused("refused.edit_too_late", number=concern.id, state_name=Word("state", concern.state))
    body = args.strip()
    first, _, rest = body.partition(" ")
    if first.lower() in ctx.settings.anonymous_words:
        body = rest.strip()
    analysis = ctx.intake.analyse(body)
    if not any(unicodedata.category(ch)[0] in "LN" for ch in analysis.text):
        raise Refused("refused.empty_report")
    before = concern.text
    concern.text, concern.location, concern.updated_at = body, analysis.place.display[:200], ctx.now
    source.text = message.text
    corrected = ctx.session.scalar(select(func.count()).select_from(CategoryCorrection).where(
        CategoryCorrection.concern_id == concern.id))
    if not corrected:
        concern.category = analysis.category
    if not concern.size_confirmed:
        concern.size = analysis.size
    folding.reindex(ctx.session, concern, analysis)
    ctx.touch(concern)
    ctx.audit(concern, "edit", concern.state, concern.state, before=before[:500])
    ctx.reply("report.edited", concern=concern, **concern_params(concern))
