"""The ledger (台账) as an Excel workbook: concerns, deliberations and votes, surveys, summary.

Rows for the concerns reported, the deliberations opened and the survey answers given in
the period. Times are local, written as real Excel dates. Phone, ID and plate numbers are
masked in every text cell (reports, places, plans, poll questions and options, comments,
names); anonymous reporters (and, with ``hide_reporters``, every reporter and survey
respondent) are left out; residents' votes are counted, not named.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from storage.models import Concern, Deliberation, Outcome, Person, Support, Survey, SurveyResponse

from . import stats
from .periods import Period
from .privacy import mask
from .settings import Settings
from .texts import t, word
from .xlsx import Column, Sheet, workbook

CONCERN_COLUMNS = (("number", "int"), ("grid", "text"), ("category", "text"), ("size", "text"), ("state", "text"),
                   ("location", "text"), ("reporter", "text"), ("anonymous", "bool"), ("supports", "int"),
                   ("created_at", "datetime"), ("responded_at", "datetime"), ("respond_by", "datetime"),
                   ("claimed_at", "datetime"), ("claimed_by", "text"), ("decided_at", "datetime"),
                   ("resolved_at", "datetime"), ("resolve_by", "datetime"), ("closed_at", "datetime"),
                   ("reopen_count", "int"), ("outcome", "text"), ("text", "text"))
POLL_COLUMNS = (("number", "int"), ("question", "text"), ("poll_kind", "text"), ("opened_at", "datetime"),
                ("closes_at", "datetime"), ("closed_at", "datetime"), ("result", "text"), ("voters", "int"),
                ("electorate", "int"), ("tally", "text"), ("ballots", "text"))
SURVEY_COLUMNS = (("number", "int"), ("round", "int"), ("sent_at", "datetime"), ("answered_at", "datetime"),
                  ("rating", "text"), ("comment", "text"), ("respondent", "text"))
SUMMARY_COLUMNS = (("figure", "text"), ("count", "int"), ("rate", "percent"), ("numerator", "int"),
                   ("denominator", "int"), ("meaning", "text"))


@dataclass(frozen=True)
class Ledger:
    content: bytes  # the .xlsx file
    concerns: int   # rows on each sheet
    polls: int
    answers: int


def build(session: Session, settings: Settings, period: Period, now: datetime, *,
          hide_reporters: bool = False) -> Ledger:
    lang = settings.language
    local = lambda at: at.astimezone(settings.zone) if at else None  # noqa: E731

    def columns(spec):
        return [Column(key, word(lang, "column", key), kind) for key, kind in spec]

    start, end = period.start, period.end
    supports = dict(session.execute(select(Support.concern_id, func.count()).group_by(Support.concern_id)).all())
    latest = select(Outcome.concern_id, func.max(Outcome.id).label("id")).group_by(Outcome.concern_id).subquery()
    plans = dict(session.execute(select(Outcome.concern_id, Outcome.plan).join(latest, latest.c.id == Outcome.id)).all())
    concerns = session.scalars(select(Concern).options(
        selectinload(Concern.grid), selectinload(Concern.reporter), selectinload(Concern.claimed_by))
        .where(Concern.created_at >= start, Concern.created_at < end).order_by(Concern.id))
    concern_rows = [{
        "number": c.id, "grid": c.grid.name, "category": c.category, "size": word(lang, "size", c.size),
        "state": word(lang, "state", c.state), "location": mask(c.location or ""),
        "reporter": "" if (c.anonymous or hide_reporters) else mask(c.reporter.display_name),
        "anonymous": c.anonymous, "supports": supports.get(c.id, 0), "created_at": local(c.created_at),
        "responded_at": local(c.responded_at), "respond_by": local(c.respond_by), "claimed_at": local(c.claimed_at),
        "claimed_by": mask(c.claimed_by.display_name) if c.claimed_by else "", "decided_at": local(c.decided_at),
        "resolved_at": local(c.resolved_at), "resolve_by": local(c.resolve_by), "closed_at": local(c.closed_at),
        "reopen_count": c.reopen_count, "outcome": mask(plans.get(c.id, "")), "text": mask(c.text),
    } for c in concerns]

    polls = session.scalars(select(Deliberation).options(selectinload(Deliberation.options),
                                                         selectinload(Deliberation.votes))
                            .where(Deliberation.opened_at >= start, Deliberation.opened_at < end)
                            .order_by(Deliberation.id))
    names = dict(session.execute(select(Person.id, Person.display_name)).all())
    poll_rows = []
    for p in polls:
        options = {o.id: o.text for o in p.options}
        tally = Counter(options[v.option_id] for v in p.votes)
        named = p.kind == "committee" and not hide_reporters  # residents' ballots are counted, not named
        poll_rows.append({
            "number": p.concern_id, "question": mask(p.question), "poll_kind": word(lang, "poll_kind", p.kind),
            "opened_at": local(p.opened_at), "closes_at": local(p.closes_at), "closed_at": local(p.closed_at),
            "result": word(lang, "poll_result", p.result) if p.result else "", "voters": len({v.person_id for v in p.votes}),
            "electorate": p.electorate,
            "tally": "；".join(f"{mask(o.text)} {tally.get(o.text, 0)}" for o in p.options),
            "ballots": "；".join(f"{mask(names.get(v.person_id, '?'))}:{mask(options[v.option_id])}" for v in p.votes)
            if named else "",
        })

    answers = session.execute(
        select(SurveyResponse, Survey, Concern.anonymous, Concern.reporter_id)
        .join(Survey, Survey.id == SurveyResponse.survey_id).join(Concern, Concern.id == Survey.concern_id)
        .where(SurveyResponse.at >= start, SurveyResponse.at < end).order_by(SurveyResponse.id))
    survey_rows = [{
        "number": survey.concern_id, "round": survey.round, "sent_at": local(survey.sent_at),
        "answered_at": local(answer.at), "rating": word(lang, "rating", answer.rating), "comment": mask(answer.comment),
        "respondent": "" if hide_reporters or (anonymous and answer.person_id == reporter_id)
        else mask(names.get(answer.person_id, "")),
    } for answer, survey, anonymous, reporter_id in answers]

    summary = stats.summary(session, period, now)
    figure_rows = [{"figure": word(lang, "figure", key), "count": n} for key, n in summary.counts.items()]
    for key in ("response", "resolution", "satisfaction"):
        ratio = getattr(summary, key)
        figure_rows.append({"figure": t(lang, f"rate.{key}"), "rate": ratio.value, "numerator": ratio.numerator,
                            "denominator": ratio.denominator, "meaning": word(lang, "figure", f"{key}_meaning")})
    period_note = t(lang, "export.period", period=period.label, made=now.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M"))
    content = workbook(made=now.astimezone(settings.zone), sheets=[
        Sheet(word(lang, "sheet", "concerns"), columns(CONCERN_COLUMNS), concern_rows, note=period_note),
        Sheet(word(lang, "sheet", "polls"), columns(POLL_COLUMNS), poll_rows, note=period_note),
        Sheet(word(lang, "sheet", "surveys"), columns(SURVEY_COLUMNS), survey_rows, note=period_note),
        Sheet(word(lang, "sheet", "summary"), columns(SUMMARY_COLUMNS), figure_rows, note=period_note),
    ])
    return Ledger(content, len(concern_rows), len(poll_rows), len(survey_rows))
