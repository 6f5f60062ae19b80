"""六步议事法 after the committee: public notice (张榜公示) and the residents' vote (居民表决).

For a big matter, when the community enables it, the decided plan is posted to the grid
group for the notice period; residents comment by replying. Then, if enabled, the residents
of that grid vote (one vote each, by button or ``/vote``) with their own quorum. Only then
does the plan stand; a failed residents' vote sends the matter back to the coordinators.
"""
from __future__ import annotations

from sqlalchemy import func, select

from storage import queries, schedule
from storage.models import Comment, Concern, Deliberation, Option, Outcome, Person, ScheduledJob

from . import buttons
from .common import move
from .context import Context, concern_params
from .tally import numbered, passes, quorum, winner


def publish(ctx: Context, concern: Concern, outcome: Outcome) -> None:
    """Put a big matter's plan on notice in its grid group."""
    move(ctx, concern, "publish")
    outcome.notice_until = ctx.now + ctx.settings.notice_period
    ctx.to_grid(concern, "notice.posted", skip_chat=False, plan=outcome.plan, until=ctx.local(outcome.notice_until),
                payload={"card": "notice"}, **concern_params(concern))
    schedule.schedule(ctx.session, kind="notice_end", due_at=outcome.notice_until, now=ctx.now,
                      dedupe_key=f"notice_end:{outcome.id}", concern_id=concern.id, payload={"outcome": outcome.id})


def notice_end_job(ctx: Context, job: ScheduledJob) -> str:
    concern = ctx.session.get(Concern, job.concern_id)
    outcome = ctx.session.get(Outcome, job.payload["outcome"])
    if concern is None or concern.state != "notice":
        return "not on notice any more"
    if ctx.settings.residents_vote:
        open_residents_vote(ctx, concern, outcome)
        return "residents vote opened"
    comments = ctx.session.scalar(select(func.count()).select_from(Comment).where(
        Comment.concern_id == concern.id, Comment.at >= outcome.at)) or 0
    move(ctx, concern, "notice_done")
    ctx.inform(concern, "notice.done", number=concern.id, plan=outcome.plan, comments=comments)
    ctx.to_committee("notice.done", concern=concern, number=concern.id, plan=outcome.plan, comments=comments)
    return "notice over"


def open_residents_vote(ctx: Context, concern: Concern, outcome: Outcome) -> None:
    electorate = ctx.session.scalar(select(func.count()).select_from(Person).where(
        Person.home_grid_id == concern.grid_id)) or 0
    options = list(ctx.settings.poll_options[:2]) or ["同意", "反对"]
    poll = Deliberation(concern_id=concern.id, opened_by_id=outcome.decided_by_id, question=outcome.plan,
                        kind="residents", grid_id=concern.grid_id, quorum_count=ctx.settings.residents_quorum,
                        threshold=None, hide_results=ctx.settings.hide_results, electorate=electorate,
                        state="open", opened_at=ctx.now, closes_at=ctx.now + ctx.settings.residents_vote_period,
                        options=[Option(position=i + 1, text=o) for i, o in enumerate(options)])
    ctx.session.add(poll)
    ctx.session.flush()
    schedule.schedule(ctx.session, kind="poll_close", due_at=poll.closes_at, dedupe_key=f"poll_close:{poll.id}",
                      now=ctx.now, concern_id=concern.id, payload={"deliberation": poll.id})
    rows = buttons.vote(concern.id, [(o.position, o.text) for o in poll.options])
    ctx.to_grid(concern, "residents.card", skip_chat=False, buttons=rows, number=concern.id, question=poll.question,
                options=numbered(poll), deadline=ctx.local(poll.closes_at), quorum=quorum(poll))


def close_residents_vote(ctx: Context, poll: Deliberation, voters: int, params: dict) -> None:
    """The residents decided (or did not come): the plan stands, or goes back to the coordinators."""
    concern = ctx.session.get(Concern, poll.concern_id)
    outcome = queries.latest_outcome(ctx.session, concern.id)
    summary = f"{params['tally']}"
    if voters >= params["quorum"] and passes(poll) and winner(poll, ctx.settings.language) == poll.options[0].text:
        poll.result = poll.options[0].text
        outcome.residents_result = f"通过：{summary}（{voters} 人投票）"
        move(ctx, concern, "notice_done", residents=summary)
        ctx.inform(concern, "residents.passed", number=concern.id, voters=voters, tally=summary, plan=outcome.plan)
        ctx.to_committee("residents.passed", concern=concern, number=concern.id, voters=voters, tally=summary,
                         plan=outcome.plan)
        return
    poll.result = "not_passed" if voters >= params["quorum"] else "no_quorum"
    outcome.residents_result = f"未通过：{summary}（{voters} 人投票）"
    move(ctx, concern, "notice_failed", residents=summary)
    ctx.inform(concern, "residents.failed", number=concern.id, voters=voters, quorum=params["quorum"], tally=summary)
    ctx.to_committee("residents.failed", concern=concern, number=concern.id, voters=voters, quorum=params["quorum"],
                     tally=summary)
    ctx.to_coordinators("residents.failed", concern=concern, number=concern.id, voters=voters,
                        quorum=params["quorum"], tally=summary)


def review_job(ctx: Context, job: ScheduledJob) -> str:
    """回头看: on a plan's review date the coordinators are asked to check it."""
    outcome = ctx.session.get(Outcome, job.payload["outcome"])
    if outcome is None:
        return "no outcome"
    concern = ctx.session.get(Concern, outcome.concern_id)
    ctx.to_coordinators("review.due", concern=concern, number=concern.id, plan=outcome.plan)
    return "reminded"
