"""The ledger (台账) as an Excel workbook: concerns, deliberations and votes, surveys, summary.

Rows for the concerns reported, the deliberations opened and the survey answers given in
the period. Times are local, written as real Excel dates. Phone, ID and plate numbers are
masked in every text cell (reports, places, plans, poll questions and options, comments,
names); anonymous reporters (and, with ``hide_reporters``, every reporter and survey
respondent) are left out; residents' votes are counted, not named.

The rows are read with one streamed query per sheet (``yield_per``: a batch of rows at a time,
joined in the database — grid and people's names, support counts, the latest plan) and
written as they come (``handlers.xlsx``), so a month of a large district costs the same memory
as a small one. ``write`` streams to a file; ``build`` returns the bytes (for small callers).
"""
from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import BinaryIO

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from storage.models import Concern, Deliberation, Grid, Option, Outcome, Person, Support, Survey, SurveyResponse, Vote

from . import stats
from .periods import Period
from .privacy import mask
from .settings import Settings
from .texts import t, word
from .xlsx import Column, Sheet, write as write_xlsx

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
BATCH = 1000  # rows fetched at a time


@dataclass(frozen=True)
class Ledger:
    content: bytes  # the .xlsx file
    concerns: int   # rows on each sheet
    polls: int
    answers: int


def build(session: Session, settings: Settings, period: Period, now: datetime, *,
          hide_reporters: bool = False) -> Ledger:
    """The workbook as bytes, written through a temporary file."""
    with tempfile.TemporaryFile() as out:
        counts = write(session, settings, period, now, out, hide_reporters=hide_reporters)
        out.seek(0)
        return Ledger(out.read(), *counts)


def write(session: Session, settings: Settings, period: Period, now: datetime, target: str | BinaryIO, *,
          hide_reporters: bool = False) -> tuple[int, int, int]:
    """Stream the workbook to ``target``; return the rows of concerns, polls and answers."""
    lang, zone = settings.language, settings.zone
    local = lambda at: at.astimezone(zone) if at else None  # noqa: E731

    def columns(spec):
        return [Column(key, word(lang, "column", key), kind) for key, kind in spec]

    window = and_(Concern.created_at >= period.start, Concern.created_at < period.end)
    concern_rows = ({
        "number": c.id, "grid": c.grid, "category": c.category, "size": word(lang, "size", c.size),
        "state": word(lang, "state", c.state), "location": mask(c.location or ""),
        "reporter": "" if (c.anonymous or hide_reporters) else mask(c.reporter),
        "anonymous": c.anonymous, "supports": c.supports, "created_at": local(c.created_at),
        "responded_at": local(c.responded_at), "respond_by": local(c.respond_by), "claimed_at": local(c.claimed_at),
        "claimed_by": mask(c.claimed_by) if c.claimed_by else "", "decided_at": local(c.decided_at),
        "resolved_at": local(c.resolved_at), "resolve_by": local(c.resolve_by), "closed_at": local(c.closed_at),
        "reopen_count": c.reopen_count, "outcome": mask(c.plan or ""), "text": mask(c.text),
    } for c in _stream(session, _concerns(window)))

    def poll_rows() -> Iterator[dict]:
        polls = (select(Deliberation.id, Deliberation.concern_id, Deliberation.question, Deliberation.kind,
                        Deliberation.opened_at, Deliberation.closes_at, Deliberation.closed_at, Deliberation.result,
                        Deliberation.electorate)
                 .where(Deliberation.opened_at >= period.start, Deliberation.opened_at < period.end)
                 .order_by(Deliberation.id))
        batch: list = []
        for poll in _stream(session, polls):
            batch.append(poll)
            if len(batch) == BATCH:
                yield from _polls(session, batch, lang, hide_reporters, local)
                batch = []
        yield from _polls(session, batch, lang, hide_reporters, local)

    respondent = aliased(Person)
    answers = (select(SurveyResponse.at, SurveyResponse.rating, SurveyResponse.comment, SurveyResponse.person_id,
                      Survey.concern_id, Survey.round, Survey.sent_at, Concern.anonymous, Concern.reporter_id,
                      respondent.display_name.label("name"))
               .join(Survey, Survey.id == SurveyResponse.survey_id).join(Concern, Concern.id == Survey.concern_id)
               .outerjoin(respondent, respondent.id == SurveyResponse.person_id)
               .where(SurveyResponse.at >= period.start, SurveyResponse.at < period.end).order_by(SurveyResponse.id))
    survey_rows = ({
        "number": a.concern_id, "round": a.round, "sent_at": local(a.sent_at), "answered_at": local(a.at),
        "rating": word(lang, "rating", a.rating), "comment": mask(a.comment),
        "respondent": "" if hide_reporters or (a.anonymous and a.person_id == a.reporter_id) else mask(a.name or ""),
    } for a in _stream(session, answers))

    summary = stats.summary(session, period, now)
    figure_rows = [{"figure": word(lang, "figure", key), "count": n} for key, n in summary.counts.items()]
    for key in ("response", "resolution", "satisfaction"):
        ratio = getattr(summary, key)
        figure_rows.append({"figure": t(lang, f"rate.{key}"), "rate": ratio.value, "numerator": ratio.numerator,
                            "denominator": ratio.denominator, "meaning": word(lang, "figure", f"{key}_meaning")})
    period_note = t(lang, "export.period", period=period.label, made=now.astimezone(zone).strftime("%Y-%m-%d %H:%M"))
    counts = write_xlsx([
        Sheet(word(lang, "sheet", "concerns"), columns(CONCERN_COLUMNS), concern_rows, note=period_note),
        Sheet(word(lang, "sheet", "polls"), columns(POLL_COLUMNS), poll_rows(), note=period_note),
        Sheet(word(lang, "sheet", "surveys"), columns(SURVEY_COLUMNS), survey_rows, note=period_note),
        Sheet(word(lang, "sheet", "summary"), columns(SUMMARY_COLUMNS), figure_rows, note=period_note),
    ], target, made=now.astimezone(zone))
    return counts[0], counts[1], counts[2]


def _stream(session: Session, stmt):
    """The rows of ``stmt``, fetched ``BATCH`` at a time (a server-side cursor on PostgreSQL)."""
    return session.execute(stmt.execution_options(yield_per=BATCH))


def _concerns(window):
    """A concern per row with its grid's and people's names, support count and latest plan."""
    reporter, claimer = aliased(Person), aliased(Person)
    supports = select(func.count(Support.id)).where(Support.concern_id == Concern.id).scalar_subquery()
    plan = (select(Outcome.plan).where(Outcome.concern_id == Concern.id).order_by(Outcome.id.desc()).limit(1)
            .scalar_subquery())
    return (select(Concern.id, Grid.name.label("grid"), Concern.category, Concern.size, Concern.state,
                   Concern.location, Concern.anonymous, Concern.created_at, Concern.responded_at, Concern.respond_by,
                   Concern.claimed_at, Concern.decided_at, Concern.resolved_at, Concern.resolve_by, Concern.closed_at,
                   Concern.reopen_count, Concern.text, reporter.display_name.label("reporter"),
                   claimer.display_name.label("claimed_by"), supports.label("supports"), plan.label("plan"))
            .join(Grid, Grid.id == Concern.grid_id).join(reporter, reporter.id == Concern.reporter_id)
            .outerjoin(claimer, claimer.id == Concern.claimed_by_id).where(window).order_by(Concern.id))


def _polls(session: Session, polls: list, lang: str, hide_reporters: bool, local) -> Iterator[dict]:
    """The rows of a batch of polls: their options and votes (with voters' names) in two queries."""
    if not polls:
        return
    ids = [p.id for p in polls]
    options = {k: list(g) for k, g in groupby(session.execute(
        select(Option.deliberation_id, Option.id, Option.text).where(Option.deliberation_id.in_(ids))
        .order_by(Option.deliberation_id, Option.position)), key=lambda o: o.deliberation_id)}
    votes = {k: list(g) for k, g in groupby(session.execute(
        select(Vote.deliberation_id, Vote.person_id, Vote.option_id, Person.display_name)
        .outerjoin(Person, Person.id == Vote.person_id).where(Vote.deliberation_id.in_(ids))
        .order_by(Vote.deliberation_id, Vote.id)), key=lambda v: v.deliberation_id)}
    for p in polls:
        texts = {o.id: o.text for o in options.get(p.id, [])}
        cast = votes.get(p.id, [])
        tally = Counter(texts[v.option_id] for v in cast)
        named = p.kind == "committee" and not hide_reporters  # residents' ballots are counted, not named
        yield {
            "number": p.concern_id, "question": mask(p.question), "poll_kind": word(lang, "poll_kind", p.kind),
            "opened_at": local(p.opened_at), "closes_at": local(p.closes_at), "closed_at": local(p.closed_at),
            "result": word(lang, "poll_result", p.result) if p.result else "",
            "voters": len({v.person_id for v in cast}), "electorate": p.electorate,
            "tally": "；".join(f"{mask(o.text)} {tally.get(o.text, 0)}" for o in options.get(p.id, [])),
            "ballots": "；".join(f"{mask(v.display_name or '?')}:{mask(texts[v.option_id])}" for v in cast)
            if named else "",
        }
