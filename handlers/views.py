"""让邻知事 on demand: a concern's status, a person's own concerns, and help."""
from __future__ import annotations

from storage import queries
from storage.models import Concern

from .common import load
from .context import Context, Word, concern_params, render
from .tally import tally_text, voters
from .lifecycle import Refused, Role
from .privacy import summary


def status(ctx: Context, args: str) -> None:
    concern, _ = load(ctx, args, "/status 12", lock=False)
    lang = ctx.lang
    lines = [render(lang, "status.head", **concern_params(concern)),
             render(lang, "status.reporter", reporter=reporter_label(ctx, concern)),
             render(lang, "status.supports", count=queries.support_count(ctx.session, concern.id))]
    if concern.claimed_by is not None:
        lines.append(render(lang, "status.claimed", member=concern.claimed_by.display_name))
    assignment = queries.active_assignment(ctx.session, concern.id)
    if assignment is not None:
        who = assignment.assignee.display_name if assignment.assignee else assignment.department
        lines.append(render(lang, "status.assigned", who=who))
    poll = queries.latest_deliberation(ctx.session, concern.id)
    if poll is not None and poll.state == "open":
        shown = render(lang, "poll.hidden", voters=voters(poll)) if poll.hide_results else tally_text(poll)
        lines.append(render(lang, "status.poll", tally=shown, deadline=ctx.local(poll.closes_at)))
    outcome = queries.latest_outcome(ctx.session, concern.id)
    if outcome is not None:
        lines.append(render(lang, "status.plan", plan=summary(outcome.plan, 200)))
    note = queries.latest_note(ctx.session, concern.id)
    if note is not None:
        lines.append(render(lang, "status.notes", note=summary(note.text, 200)))
    comments = queries.comment_count(ctx.session, concern.id)
    if comments:
        lines.append(render(lang, "status.comments", count=comments))
    ctx.reply_text("\n".join(lines), concern=concern)


def reporter_label(ctx: Context, concern: Concern) -> str:
    """The reporter's name; for anonymous reports only coordinators, and not in open groups."""
    if not concern.anonymous:
        return concern.reporter.display_name
    trusted_place = ctx.chat is not None and ctx.chat.kind in ("private", "coordinators")
    if ctx.role >= Role.COORDINATOR and trusted_place:
        return render(ctx.lang, "anonymous_for_coordinator", name=concern.reporter.display_name)
    return render(ctx.lang, "anonymous")


def mine(ctx: Context, args: str) -> None:
    """A person's own concerns, always answered privately (some may be anonymous)."""
    rows = queries.concerns_of_person(ctx.session, ctx.actor.id)
    if ctx.chat is not None and ctx.chat.kind != "private":
        ctx.reply("mine.sent_privately")
    if not rows:
        ctx.reply("mine.none", private=True)
        return
    lang = ctx.lang
    lines = [render(lang, "mine.head")]
    for concern, relation in rows:
        role = render(lang, f"mine.role_{relation}") if relation != "reported" else ""
        lines.append(render(lang, "mine.line", number=concern.id, state=Word("state", concern.state),
                            summary=summary(concern.text, 40), role=role))
    ctx.reply_text("\n".join(lines), private=True)


def help_(ctx: Context, args: str) -> None:
    """``/help``; also ``/start`` (and ``/start report`` from the deep link for private reports)."""
    if args.strip() == "report":
        ctx.reply("start.report")
        return
    parts = [render(ctx.lang, "help.resident")]
    if ctx.role >= Role.MEMBER:
        parts.append(render(ctx.lang, "help.member"))
    if ctx.role >= Role.COORDINATOR:
        parts.append(render(ctx.lang, "help.coordinator"))
    ctx.reply_text("\n\n".join(parts))


def media_only(ctx: Context, args: str) -> None:
    raise Refused("refused.media_only")


def no_menu(ctx: Context, args: str) -> None:
    """A bare number in a private chat with no numbered choices waiting for it."""
    raise Refused("refused.no_menu", number=args)


def unknown(ctx: Context, args: str) -> None:
    word = ctx.incoming.text.strip().split()[0].lstrip("/／") if ctx.incoming else ""
    raise Refused("refused.unknown_command", name=word.split("@")[0])

