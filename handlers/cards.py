"""Concern cards edited in place: the committee card and the grid acknowledgement.

A card is a sent message whose outbox row carried ``{"card": "committee"|"grid"}``; the
sender links it to its concern. After a command or a timed job touched a concern, each of
its cards on a platform that can edit gets an ``{"edit": message id}`` row with the card as
it reads now (state, supports, who claimed it), so chats are not flooded with re-posts; an
edit of the same card still waiting to be sent is dropped (``outbox.supersede_edits``).
Like every outgoing text, a card is masked unless its chat may read personal numbers whole.
"""
from __future__ import annotations

from sqlalchemy import select

from storage import outbox, queries
from storage.models import Chat, Concern, MessageLink

from . import buttons
from .context import Context, concern_params, render, sees_whole
from .lifecycle import FINAL
from .privacy import mask
from .texts import t

CARD_LINKS = ("card:committee", "card:grid")


def refresh(ctx: Context) -> None:
    """Queue an edit of every editable card of every concern this unit of work touched."""
    for number in sorted(ctx.touched):
        concern = ctx.session.get(Concern, number)
        if concern is None:
            continue
        links = ctx.session.execute(select(MessageLink, Chat).join(Chat, Chat.id == MessageLink.chat_id).where(
            MessageLink.concern_id == number, MessageLink.kind.in_(CARD_LINKS))).all()
        for link, chat in links:
            if not ctx.caps.edits_cards(chat):
                continue
            which = link.kind.split(":", 1)[1]
            rows = [] if concern.state in FINAL else (buttons.member if which == "committee" else buttons.resident)(number)
            whole = sees_whole(ctx.session, chat)  # a card in the coordinators' group keeps the numbers
            text = card_text(ctx, concern, which)
            outbox.supersede_edits(ctx.session, platform=chat.platform, chat_id=chat.id,
                                   external_message_id=link.external_message_id, now=ctx.now)
            outbox.enqueue(ctx.session, kind=f"card.{which}", text=text if whole else mask(text),
                           now=ctx.now, platform=chat.platform, chat_id=chat.id, concern_id=number,
                           buttons=ctx.render_buttons(ctx.settings.language, rows, masked=not whole),
                           payload={"edit": link.external_message_id})


def card_text(ctx: Context, concern: Concern, which: str) -> str:
    lang = ctx.settings.language
    reporter = t(lang, "anonymous") if concern.anonymous else concern.reporter.display_name
    claimed = concern.claimed_by.display_name if concern.claimed_by else t(lang, "nobody")
    return render(lang, f"card.{which}", reporter=reporter, claimed=claimed,
                  supports=1 + queries.support_count(ctx.session, concern.id), **concern_params(concern))
