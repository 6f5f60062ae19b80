"""请邻议事 / 协商: committee polls on a concern, votes, closing, and the decided plan (方案)."""
from __future__ import annotations

import re

from sqlalchemy import delete

from storage import outbox, queries, schedule
from storage.models import Concern, Deliberation, Option, Outcome, ScheduledJob, Vote

from . import buttons, notice, poll_limits
from .common import load, move, need_text, require
from .context import Context, Lazy, Word, render
from .lifecycle import COMMITTEE_ROLES, Refused, Role
from .privacy import summary
from .tally import numbered, passes, quorum, share_text, tally_text, top, voters, winner
from .timeparse import find_deadline

RETRACT_WORDS = ("-", "撤回", "retract")
_OPTION_SPLIT = re.compile(r"\s*[/／|｜]\s*")


def deliberate(ctx: Context, args: str) -> None:
    """``/deliberate 12 [question] [opt1/opt2/…] [48h | 2026-03-05 18:00] [多选]``."""
    concern, rest = load(ctx, args, "/deliberate 12 同意/反对/再议 48h")
    require(ctx, concern, "deliberate")
    closes_at, rest, named = find_deadline(rest, ctx.now, ctx.settings.zone)
    if named and closes_at is None:
        raise Refused("refused.bad_deadline", value=named)
    closes_at = closes_at or ctx.now + ctx.settings.poll_duration[concern.size]
    if closes_at <= ctx.now:
        raise Refused("refused.deadline_past")
    multiple = any(w in rest for w in ("多选", "multiple"))
    rest = rest.replace("多选", " ").replace("multiple", " ").strip()
    question, options = _question_and_options(rest, ctx)
    problem = poll_limits.check_options(options)  # before anything is written: Telegram would refuse the poll
    if problem is not None:
        raise Refused(problem.key, example=Lazy.of("poll_limits.example", number=concern.id), **problem.params)
    options = poll_limits.clean_options(options)
    electorate = len(queries.people_with_roles(ctx.session, COMMITTEE_ROLES))
    poll = Deliberation(concern_id=concern.id, opened_by_id=ctx.actor.id, question=question, multiple=multiple,
                        quorum_share=ctx.settings.quorum_share, quorum_count=ctx.settings.quorum_count,
                        threshold=ctx.settings.pass_threshold, hide_results=ctx.settings.hide_results,
                        electorate=electorate, state="open",
                        opened_at=ctx.now, closes_at=closes_at,
                        options=[Option(position=i + 1, text=o) for i, o in enumerate(options)])
    ctx.session.add(poll)
    move(ctx, concern, "deliberate")
    ctx.session.flush()
    schedule.schedule(ctx.session, kind="poll_close", due_at=closes_at, dedupe_key=f"poll_close:{poll.id}",
                      now=ctx.now, concern_id=concern.id, payload={"deliberation": poll.id})
    remind_at = closes_at - ctx.settings.poll_reminder_before[concern.size]
    if remind_at > ctx.now:
        schedule.schedule(ctx.session, kind="poll_reminder", due_at=remind_at, now=ctx.now,
                          dedupe_key=f"poll_reminder:{poll.id}", concern_id=concern.id,
                          payload={"deliberation": poll.id})
    card = dict(number=concern.id, question=question, options=numbered(poll), deadline=ctx.local(closes_at),
                quorum=quorum(poll), electorate=electorate,
                multiple_hint=_multiple_hint(concern.id) if multiple else "")
    rows = buttons.vote(concern.id, [(o.position, o.text) for o in poll.options])
    topic = f"#{concern.id} {summary(concern.text, 40)}"
    for chat in queries.chats_of_kind(ctx.session, "committee"):
        if not ctx.caps.polls(chat) or poll.hide_results:  # native polls show their counts
            ctx.to_chat(chat, "deliberate.card", concern=concern, buttons=rows, **card)
            continue
        # a native poll replaces the vote buttons; in a forum the card opens the concern's topic
        ctx.to_chat(chat, "deliberate.card", concern=concern, payload={"topic": topic}, **card)
        outbox.enqueue(ctx.session, kind="poll.open", text=ctx.mask_for(chat, poll_limits.native_question(concern.id, question)),
                       now=ctx.now, platform=chat.platform, chat_id=chat.id, concern_id=concern.id,
                       payload={"poll": poll.id})  # the text is the question the poll is sent with
    if ctx.chat is None or ctx.chat.kind != "committee":
        ctx.reply("deliberate.card", concern=concern, **card)
    ctx.inform(concern, "deliberate.inform", number=concern.id, deadline=ctx.local(closes_at))


def vote(ctx: Context, args: str) -> None:
    """``/vote 12 2`` (or ``1,3`` on a multiple-choice poll); changeable until the deadline."""
    concern, rest = load(ctx, args, "/vote 12 1")
    poll = queries.latest_deliberation(ctx.session, concern.id)
    if poll is None or poll.state == "cancelled":
        raise Refused("refused.no_poll", number=concern.id)
    if poll.kind == "residents":  # 居民表决: the residents of that grid, whatever else they are
        if ctx.actor.home_grid_id != poll.grid_id:
            raise Refused("refused.not_resident", grid=concern.grid.name)
    elif not ctx.actor.role_names & set(COMMITTEE_ROLES):  # the committee, exactly its electorate
        raise Refused("refused.role", action_name=Word("action", "vote"), role_name=Word("role", "member"))
    if poll.state != "open" or ctx.now >= poll.closes_at:
        raise Refused("refused.poll_closed", number=concern.id, deadline=ctx.local(poll.closes_at))
    if rest.strip() in RETRACT_WORDS:  # a native poll's "retract vote"
        ctx.session.execute(delete(Vote).where(Vote.deliberation_id == poll.id, Vote.person_id == ctx.actor.id))
        ctx.audit(concern, "vote", options=[], changed=True)
        ctx.reply("vote.retracted", concern=concern, number=concern.id)
        return
    chosen = _chosen_options(poll, rest, concern.id)
    if len(chosen) > 1 and not poll.multiple:
        raise Refused("refused.one_option")
    changed = ctx.session.execute(delete(Vote).where(
        Vote.deliberation_id == poll.id, Vote.person_id == ctx.actor.id)).rowcount > 0
    for option in chosen:
        ctx.session.add(Vote(deliberation_id=poll.id, person_id=ctx.actor.id, option_id=option.id,
                             slot=option.position if poll.multiple else 0,  # one row per member, if single
                             platform=ctx.incoming.platform if ctx.incoming else "text", at=ctx.now))
    ctx.audit(concern, "vote", options=[o.position for o in chosen], changed=changed)
    choice = "、".join(o.text for o in chosen)
    if changed:
        ctx.reply("vote.changed", concern=concern, number=concern.id, choice=choice)
    else:
        ctx.reply("vote.recorded", concern=concern, number=concern.id, choice=choice,
                  deadline=ctx.local(poll.closes_at))


def decide(ctx: Context, args: str) -> None:
    """Record the plan. A big matter needs a deliberation that reached quorum first."""
    concern, plan = load(ctx, args, "/decide 12 下周更换3栋路灯")
    plan, review_at = _review_date(ctx, plan)
    plan = need_text(plan, f"/decide {concern.id} 下周更换3栋路灯 回头看 2026-04-01")
    require(ctx, concern, "decide")
    poll = queries.latest_deliberation(ctx.session, concern.id)
    if poll is not None and poll.state == "open":
        if ctx.role < Role.COORDINATOR:
            raise Refused("refused.poll_open", number=concern.id, deadline=ctx.local(poll.closes_at))
        close_poll(ctx, poll, early=True)
    current = poll is not None and (concern.reopened_at is None or poll.opened_at >= concern.reopened_at)
    passed = current and poll.result not in ("", "no_quorum", "cancelled", "not_passed")
    if concern.size == "big" and not passed and ctx.role < Role.COORDINATOR:
        raise Refused("refused.big_needs_poll", number=concern.id)
    move(ctx, concern, "decide")
    concern.decided_at = ctx.now
    summary = tally_text(poll) if current else ""
    outcome = Outcome(concern_id=concern.id, deliberation_id=poll.id if current else None,
                      decided_by_id=ctx.actor.id, plan=plan, vote_summary=summary, review_at=review_at, at=ctx.now)
    ctx.session.add(outcome)
    ctx.session.flush()
    if review_at is not None and ctx.settings.review_reminder:
        schedule.schedule(ctx.session, kind="review", due_at=review_at, dedupe_key=f"review:{outcome.id}",
                          now=ctx.now, concern_id=concern.id, payload={"outcome": outcome.id})
    vote_line = _vote_line(summary, queries.comment_count(ctx.session, concern.id)) if current else ""
    ctx.reply("decide.inform", concern=concern, number=concern.id, plan=plan, vote=vote_line)
    ctx.inform(concern, "decide.inform", number=concern.id, plan=plan, vote=vote_line)
    ctx.to_committee("decide.inform", concern=concern, number=concern.id, plan=plan, vote=vote_line)
    if concern.size == "big" and ctx.settings.public_notice:  # 张榜公示 before the plan stands
        notice.publish(ctx, concern, outcome)


def close_poll(ctx: Context, poll: Deliberation, *, early: bool = False) -> None:
    """Tally a poll at its deadline (or early, by a coordinator's decision) and report it."""
    concern = ctx.session.get(Concern, poll.concern_id)
    count = voters(poll)
    poll.state, poll.closed_at = "closed", ctx.now
    schedule.cancel(ctx.session, concern_id=concern.id, kinds=("poll_close", "poll_reminder"), now=ctx.now)
    stop_native_polls(ctx, poll)
    params = dict(number=concern.id, voters=count, electorate=poll.electorate, quorum=quorum(poll),
                  tally=tally_text(poll))
    if poll.kind == "residents":
        notice.close_residents_vote(ctx, poll, count, params)
        return
    if count >= quorum(poll) and not passes(poll):  # a tie, or short of the passing mark
        leading, votes, cast = top(poll)
        poll.result = "not_passed"
        ctx.audit(concern, "poll_closed", concern.state, concern.state, result="not_passed", voters=count, early=early)
        if not early:
            move(ctx, concern, "no_quorum", voters=count, result="not_passed")
            need = share_text(poll.threshold) if poll.threshold is not None else Lazy.of("passing.plurality")
            detail = dict(winner=winner(poll, ctx.settings.language), top=votes, cast=cast, need=need, **params)
            ctx.to_committee("poll.not_passed", concern=concern, skip_chat=False, **detail)
            ctx.to_coordinators("poll.not_passed", concern=concern, **detail)
            ctx.inform(concern, "poll.not_passed", **detail)
        return
    if count >= quorum(poll):
        poll.result = winner(poll, ctx.settings.language)
        ctx.audit(concern, "poll_closed", concern.state, concern.state, result=poll.result, voters=count, early=early)
        ctx.to_committee("poll.result", concern=concern, skip_chat=False, winner=poll.result, **params)
        ctx.to_coordinators("poll.result", concern=concern, winner=poll.result, **params)
        if not early:
            ctx.inform(concern, "poll.inform", number=concern.id, winner=poll.result)
        return
    poll.result = "no_quorum"
    if early:
        ctx.audit(concern, "poll_closed", concern.state, concern.state, result="no_quorum", voters=count, early=True)
        return
    move(ctx, concern, "no_quorum", voters=count)
    ctx.to_committee("poll.no_quorum", concern=concern, skip_chat=False, **params)
    ctx.to_coordinators("poll.no_quorum", concern=concern, **params)
    ctx.inform(concern, "poll.no_quorum_inform", number=concern.id)


def stop_native_polls(ctx: Context, poll: Deliberation) -> None:
    """Where the committee votes in a native poll, stop it so nobody votes after the close."""
    if poll.kind != "committee":
        return
    for chat in queries.chats_of_kind(ctx.session, "committee"):
        if ctx.caps.polls(chat):
            outbox.enqueue(ctx.session, kind="poll.stop", text="", now=ctx.now, platform=chat.platform,
                           chat_id=chat.id, concern_id=poll.concern_id, payload={"stop_poll": poll.id})


def poll_close_job(ctx: Context, job: ScheduledJob) -> str:
    poll = ctx.session.get(Deliberation, job.payload["deliberation"])
    if poll is None or poll.state != "open":
        return "already closed"
    close_poll(ctx, poll)
    return poll.result


def poll_reminder_job(ctx: Context, job: ScheduledJob) -> str:
    """Remind committee members who have not voted yet, privately."""
    poll = ctx.session.get(Deliberation, job.payload["deliberation"])
    if poll is None or poll.state != "open":
        return "poll not open"
    voted = {v.person_id for v in poll.votes}
    missing = [p for p in queries.people_with_roles(ctx.session, COMMITTEE_ROLES) if p.id not in voted]
    concern = ctx.session.get(Concern, poll.concern_id)
    for person in missing:
        ctx.to_person(person, "poll.reminder", concern=concern, number=concern.id, question=poll.question,
                      options=numbered(poll), deadline=ctx.local(poll.closes_at),
                      dedupe_key=f"poll_reminder:{poll.id}:{person.id}")
    return f"reminded {len(missing)}"


def _vote_line(summary: str, comments: int) -> Lazy | str:
    return Lazy.of("decide.vote_summary", tally=summary, comments=comments) if summary else ""


REVIEW = re.compile(r"(?:回头看|复查|review)\s*[:：]?\s*(\d{4}-\d{1,2}-\d{1,2})", re.IGNORECASE)


def _review_date(ctx: Context, plan: str):
    """``… 回头看 2026-04-01``: the plan's review date (09:00 local), cut from the plan's text."""
    match = REVIEW.search(plan)
    if not match:
        return plan, None
    when, _, _ = find_deadline(match.group(1), ctx.now, ctx.settings.zone)
    if when is None:
        raise Refused("refused.bad_deadline", value=match.group(1))
    when = when.replace(hour=9, minute=0)
    if when <= ctx.now:
        raise Refused("refused.deadline_past")
    return (plan[:match.start()] + plan[match.end():]).strip(), when


def _question_and_options(rest: str, ctx: Context) -> tuple[str, list[str]]:
    """The question and the options (the last run of words joined by /, spaces around a / allowed:
    「同意 / 反对」), or the configured options. ``deliberate`` checks them against poll_limits."""
    runs = list(re.finditer(r"[^\s/／|｜]*(?:\s*[/／|｜]\s*[^\s/／|｜]*)+", rest))
    run = runs[-1] if runs else None
    options = [o for o in _OPTION_SPLIT.split(run.group()) if o] if run else list(ctx.settings.poll_options)
    question = " ".join((rest[:run.start()] + " " + rest[run.end():] if run else rest).split())
    return question or render(ctx.settings.language, "poll.default_question"), options


def _chosen_options(poll: Deliberation, rest: str, number: int) -> list[Option]:
    tokens = [tok for tok in re.split(r"[\s,，、]+", rest.strip()) if tok]
    by_text = {o.text: o for o in poll.options}
    chosen: list[Option] = []
    for token in tokens:
        option = by_text.get(token)
        if option is None and token.isdecimal() and len(token) <= 2 and 1 <= int(token) <= len(poll.options):
            option = poll.options[int(token) - 1]
        if option is None:
            raise Refused("refused.bad_option", count=len(poll.options), number=number)
        if option not in chosen:
            chosen.append(option)
    if not chosen:
        raise Refused("refused.bad_option", count=len(poll.options), number=number)
    return chosen


def _multiple_hint(number: int) -> Lazy:
    return Lazy.of("deliberate.multiple_hint", number=number)
