"""由邻评事: satisfaction surveys after resolution; 不满意 reopens the concern (回头看).

Also the held grid notices of anonymous concerns: a withdrawal or a survey outcome the
reporter caused is told to the grid group later, in neutral words and batched per grid,
so the group cannot pair it with the reporter's own message (see ``inform_later``).
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from storage import queries, schedule
from storage.models import Concern, ScheduledJob, Survey, SurveyResponse

from . import buttons
from .common import load, move
from .context import Context, Word, render
from .followup import reopen_concern
from .lifecycle import Refused
from .privacy import summary

#: A grid notice held for an anonymous concern is posted at the first full hour at least
#: this long after the action, so it neither follows the reporter's message nor tells
#: within the hour when it was sent.
GRID_NOTICE_HOLD = timedelta(hours=1)

RATING_WORDS = {
    "1": "satisfied", "满意": "satisfied", "satisfied": "satisfied",
    "2": "basically", "基本满意": "basically", "basically": "basically", "mostly": "basically",
    "3": "dissatisfied", "不满意": "dissatisfied", "dissatisfied": "dissatisfied",
}


def answer(ctx: Context, args: str) -> None:
    """``/survey 12 1|2|3 [comment]``; 3 (不满意) needs a reason and reopens the concern."""
    concern, rest = load(ctx, args, "/survey 12 1")
    rating_word, _, comment = rest.partition(" ")
    rating = RATING_WORDS.get(rating_word.strip().lower())
    if rating is None:
        raise Refused("refused.bad_rating", private=True, number=concern.id)
    survey = queries.open_survey(ctx.session, concern.id)
    if survey is None:
        raise Refused("refused.no_survey", private=True, number=concern.id)
    invited = {p.id for p in invitees(ctx, concern)}
    if ctx.actor.id not in invited:  # in a group, a public refusal would tell who was invited
        raise Refused("refused.not_invited", private=answers_hidden(ctx, concern), number=concern.id)
    comment = comment.strip()
    if rating == "dissatisfied" and not comment:
        raise Refused("refused.need_reason", private=True, number=concern.id)
    response = next((r for r in survey.responses if r.person_id == ctx.actor.id), None)
    if response is None:
        survey.responses.append(SurveyResponse(person_id=ctx.actor.id, rating=rating, comment=comment, at=ctx.now))
    else:
        response.rating, response.comment, response.at = rating, comment, ctx.now
    ctx.audit(concern, "survey", rating=rating)
    # Ratings come only from the reporter and supporters: answer privately, never in the group.
    ctx.reply("survey.thanks", concern=concern, private=True, number=concern.id, rating=Word("rating", rating))
    if rating == "dissatisfied":
        reopen_concern(ctx, concern, "survey_reopen", comment)
        params = dict(number=concern.id, reason=summary(comment))
        if concern.anonymous:  # the reason would repeat the answer's words: the group is told without it
            inform_later(ctx, concern, "survey.reopened", grid_key="survey.reopened_neutral", **params)
        else:
            ctx.inform(concern, "survey.reopened", **params)
        ctx.to_committee("survey.reopened", concern=concern, **params)
        ctx.to_coordinators("survey.reopened", concern=concern, **params)
    elif ctx.actor.id == concern.reporter_id and concern.state == "resolved":
        move(ctx, concern, "close", by="reporter")
        concern.closed_at = ctx.now
        if concern.anonymous:  # "the reporter answered …" would name whoever just answered
            inform_later(ctx, concern, "survey.archived_neutral", number=concern.id)
        else:
            ctx.inform(concern, "survey.closed_by_reporter", number=concern.id, rating=Word("rating", rating))


def invitees(ctx: Context, concern: Concern) -> list:
    """The reporter (anonymous ones too, privately) and every supporter who follows."""
    people = [concern.reporter, *queries.followers(ctx.session, concern.id)]
    return list({p.id: p for p in people}.values())


def send_job(ctx: Context, job: ScheduledJob) -> str:
    concern = ctx.session.get(Concern, job.concern_id)
    if concern is None or concern.state != "resolved":
        return "concern no longer resolved"
    survey = Survey(concern_id=concern.id, round=job.payload["round"], state="open", send_at=job.due_at,
                    sent_at=ctx.now, closes_at=ctx.now + ctx.settings.survey_open_for,
                    resolved_by_id=job.payload.get("resolved_by"))
    ctx.session.add(survey)
    ctx.session.flush()
    rows = buttons.survey(concern.id)
    people = invitees(ctx, concern)
    for person in people:
        ctx.to_person(person, "survey.ask", concern=concern, buttons=rows, number=concern.id,
                      summary=summary(concern.text, 60),
                      closes_hint=_closes_hint(ctx, person.language, survey))
    schedule.schedule(ctx.session, kind="survey_reminder", due_at=ctx.now + ctx.settings.survey_reminder_after,
                      dedupe_key=f"survey_reminder:{survey.id}", now=ctx.now, concern_id=concern.id,
                      payload={"survey": survey.id})
    schedule.schedule(ctx.session, kind="survey_close", due_at=survey.closes_at, now=ctx.now,
                      dedupe_key=f"survey_close:{survey.id}", concern_id=concern.id, payload={"survey": survey.id})
    return f"sent to {len(people)}"


def reminder_job(ctx: Context, job: ScheduledJob) -> str:
    survey = ctx.session.get(Survey, job.payload["survey"])
    if survey is None or survey.state != "open":
        return "survey not open"
    concern = ctx.session.get(Concern, survey.concern_id)
    answered = {r.person_id for r in survey.responses}
    missing = [p for p in invitees(ctx, concern) if p.id not in answered]
    for person in missing:
        ctx.to_person(person, "survey.reminder", concern=concern, number=concern.id,
                      summary=summary(concern.text, 60))
    return f"reminded {len(missing)}"


def close_job(ctx: Context, job: ScheduledJob) -> str:
    survey = ctx.session.get(Survey, job.payload["survey"])
    if survey is None or survey.state != "open":
        return "survey not open"
    survey.state, survey.closed_at = "closed", ctx.now
    concern = ctx.session.get(Concern, survey.concern_id)
    counts = Counter(r.rating for r in survey.responses)
    if concern.state != "resolved":  # the reporter already closed it (and the grid was told)
        return "survey closed"
    move(ctx, concern, "close", by="survey_period")
    concern.closed_at = ctx.now
    ctx.inform(concern, "survey.closed", number=concern.id, satisfied=counts["satisfied"],
               basically=counts["basically"], dissatisfied=counts["dissatisfied"])
    return "closed"


def answers_hidden(ctx: Context, concern: Concern) -> bool:
    """Whether every answer about ``concern`` here goes privately, whoever asks.

    In a group, an anonymous concern's withdrawal or survey answer (or its refusal) is
    answered privately for everyone alike: were only the reporter answered privately, the
    group would learn who the reporter is from where the answers go.
    """
    return concern.anonymous and ctx.chat is not None and ctx.chat.kind != "private"


def inform_later(ctx: Context, concern: Concern, key: str, *, grid_key: str | None = None,
                 **params: object) -> None:
    """全面反馈 for an anonymous concern, the group's part held back.

    The reporter and every follower are told privately at once (the actor, already
    answered, not twice); the grid group hears ``grid_key`` (neutral words, only the
    number) at the next batch (``hold_for_grid``).
    """
    told = {ctx.actor.id} if ctx.actor is not None and ctx.replies else set()
    for person in [concern.reporter, *queries.followers(ctx.session, concern.id)]:
        if person.id not in told:
            told.add(person.id)
            ctx.to_person(person, key, concern=concern, **params)
    hold_for_grid(ctx, concern, grid_key or key)


def grid_notice_due(ctx: Context) -> datetime:
    """The first full hour (local time) at least ``GRID_NOTICE_HOLD`` from now."""
    earliest = (ctx.now + GRID_NOTICE_HOLD).astimezone(ctx.settings.zone)
    hour = earliest.replace(minute=0, second=0, microsecond=0)
    return hour if hour == earliest else hour + timedelta(hours=1)


def hold_for_grid(ctx: Context, concern: Concern, key: str) -> None:
    """Schedule the grid notice ``key`` (params: the number) for the next batch.

    The concern's cards are refreshed with the batch too: a card edited in place at once
    would tell the group as much as a notice.
    """
    schedule.schedule(ctx.session, kind="grid_notice", due_at=grid_notice_due(ctx), now=ctx.now,
                      dedupe_key=f"grid_notice:{concern.id}:{key}:{concern.reopen_count}:{ctx.now.isoformat()}",
                      concern_id=concern.id, payload={"grid": concern.grid_id, "key": key,
                                                      "params": {"number": concern.id}})
    ctx.touched.discard(concern.id)


def grid_notice_job(ctx: Context, job: ScheduledJob) -> str:
    """Post the held grid notices due now for this job's grid, several as one message."""
    grid_id = job.payload["grid"]
    batch = [job, *(other for other in schedule.pending_due(ctx.session, "grid_notice", ctx.now)
                    if other.id != job.id and other.payload.get("grid") == grid_id)]
    batch.sort(key=lambda j: (j.due_at, j.id))
    lang = ctx.settings.language
    for chat in queries.chats_of_kind(ctx.session, "grid", grid_id):
        if len(batch) == 1:
            concern = ctx.session.get(Concern, job.concern_id) if job.concern_id else None
            ctx.to_chat(chat, job.payload["key"], concern=concern, **job.payload["params"])
        else:
            lines = "\n".join(render(lang, j.payload["key"], **j.payload["params"]) for j in batch)
            ctx.to_chat(chat, "grid_notices.batch", lines=lines)
    for other in batch:
        if other.id != job.id:
            schedule.finish(other, ctx.now, f"posted with job {job.id}")
        if other.concern_id is not None:  # the cards held back with the notice
            ctx.touched.add(other.concern_id)
    return f"posted {len(batch)}"


def _closes_hint(ctx: Context, lang: str, survey: Survey) -> str:
    return render(lang, "survey.closes_hint", deadline=ctx.local(survey.closes_at))
