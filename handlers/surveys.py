"""由邻评事: satisfaction surveys after resolution; 不满意 reopens the concern (回头看)."""
from __future__ import annotations

from collections import Counter

from storage import queries, schedule
from storage.models import Concern, ScheduledJob, Survey, SurveyResponse

from . import buttons
from .common import load, move
from .context import Context, Word, render
from .followup import reopen_concern
from .lifecycle import Refused
from .privacy import summary

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
    if ctx.actor.id not in invited:
        raise Refused("refused.not_invited", number=concern.id)
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
        ctx.inform(concern, "survey.reopened", **params)
        ctx.to_committee("survey.reopened", concern=concern, **params)
        ctx.to_coordinators("survey.reopened", concern=concern, **params)
    elif ctx.actor.id == concern.reporter_id and concern.state == "resolved":
        move(ctx, concern, "close", by="reporter")
        concern.closed_at = ctx.now
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


def _closes_hint(ctx: Context, lang: str, survey: Survey) -> str:
    return render(lang, "survey.closes_hint", deadline=ctx.local(survey.closes_at))
