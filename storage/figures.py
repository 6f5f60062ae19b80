"""The numbers coordinators report upward, as SQL aggregates (never every concern in Python).

Every function takes the caller's session and a half-open window ``[start, end)`` of aware
datetimes, optionally narrowed to one grid. What the figures mean is written down in the
README ("Figures"); ``handlers.stats`` names them and renders them. Rows are counted with
``count(*)``, so an index covering the filter answers alone (migrations 0010–0012).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, case, distinct, func, or_, select
from sqlalchemy.orm import Session

from .models import (AuditEntry, Comment, Concern, Deliberation, Outcome, Person, PersonRole, Proposal, Support,
                     Survey, SurveyResponse, Vote)

GOOD_RATINGS = ("satisfied", "basically")
#: Concerns taken out of the resolution figure: withdrawn by the reporter, handed upward as a
#: proposal, or not accepted. They are counted on their own.
NOT_TO_RESOLVE = ("withdrawn", "converted", "rejected")
RESOLVED_STATES = ("resolved", "closed")


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    grid_id: int | None = None


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


def _in(column, window: Window):
    return and_(column >= window.start, column < window.end)


def _grid(stmt: Select, window: Window, concern_id=None) -> Select:
    """Narrow ``stmt`` to the window's grid, if it has one. A statement over another table
    (``concern_id`` its concern column) joins the concerns only then: over every grid the
    join would add nothing (each row's concern exists) but a pass over every concern."""
    if window.grid_id is None:
        return stmt
    if concern_id is not None:
        stmt = stmt.join(Concern, Concern.id == concern_id)
    return stmt.where(Concern.grid_id == window.grid_id)


def _count(session: Session, stmt: Select, window: Window, concern_id=None) -> int:
    return session.scalar(_grid(stmt, window, concern_id)) or 0


def _concerns(session: Session, stmt: Select, window: Window, concern_id) -> int:
    """How many distinct concerns ``stmt`` (selecting ``concern_id``) names: grouped in a
    subquery, which reads an index ordered by concern in one pass (``count(DISTINCT …)``
    would sort or hash a million ids first)."""
    grouped = _grid(stmt, window, concern_id).group_by(concern_id).subquery()
    return session.scalar(select(func.count()).select_from(grouped)) or 0


def _acted(session: Session, window: Window, *actions: str) -> int:
    """Concerns with one of ``actions`` in the audit trail in the window."""
    stmt = select(AuditEntry.concern_id).where(AuditEntry.action.in_(actions), _in(AuditEntry.at, window))
    return _concerns(session, stmt, window, AuditEntry.concern_id)


def counts(session: Session, window: Window) -> dict[str, int]:
    """How many concerns were collected, deliberated, decided, resolved, reopened, converted,
    rejected and withdrawn in the window, with supports and polls that closed without quorum."""
    w = window
    return {
        "collected": _count(session, select(func.count()).select_from(Concern).where(_in(Concern.created_at, w)), w),
        "deliberated": _concerns(session, select(Deliberation.concern_id).where(
            Deliberation.kind == "committee", _in(Deliberation.opened_at, w)), w, Deliberation.concern_id),
        "decided": _concerns(session, select(Outcome.concern_id).where(_in(Outcome.at, w)), w, Outcome.concern_id),
        "resolved": _acted(session, w, "resolve"),
        "reopened": _acted(session, w, "reopen", "survey_reopen"),
        "converted": _concerns(session, select(Proposal.concern_id).where(_in(Proposal.at, w)), w,
                               Proposal.concern_id),
        "rejected": _acted(session, w, "reject"),
        "withdrawn": _acted(session, w, "withdraw"),
        "supports": _count(session, select(func.count()).select_from(Support).where(_in(Support.at, w)), w,
                           Support.concern_id),
        "no_quorum": _count(session, select(func.count(Deliberation.id))
                            .where(Deliberation.result == "no_quorum", _in(Deliberation.closed_at, w)), w,
                            Deliberation.concern_id),
    }


def converted_by_kind(session: Session, window: Window) -> dict[str, int]:
    stmt = _grid(select(Proposal.kind, func.count(Proposal.id)).where(_in(Proposal.at, window)), window,
                 Proposal.concern_id).group_by(Proposal.kind)
    return dict(session.execute(stmt).all())


def response(session: Session, window: Window, now: datetime) -> Ratio:
    """Concerns reported in the window that a member first answered by the response deadline,
    of those reported in the window. One still unanswered inside its deadline is not counted yet,
    nor one its reporter withdrew before anyone answered."""
    reported = select(func.count()).select_from(Concern).where(
        _in(Concern.created_at, window), or_(Concern.responded_at.is_not(None), Concern.respond_by <= now),
        or_(Concern.responded_at.is_not(None), Concern.state != "withdrawn"))
    answered = func.count(case((and_(Concern.responded_at.is_not(None), Concern.responded_at <= Concern.respond_by),
                                1)))
    total, on_time = session.execute(_grid(reported.add_columns(answered), window)).one()
    return Ratio(on_time or 0, total or 0)


def resolution(session: Session, window: Window, now: datetime) -> Ratio:
    """Concerns whose resolution deadline fell in the window (up to now) that are resolved now;
    a reopened one counts against the figure until it is resolved again."""
    until = Window(window.start, min(window.end, now), window.grid_id)
    due = (select(func.count()).select_from(Concern)
           .where(_in(Concern.resolve_by, until), Concern.state.not_in(NOT_TO_RESOLVE)))
    done = func.count(case((Concern.state.in_(RESOLVED_STATES), 1)))
    total, resolved = session.execute(_grid(due.add_columns(done), window)).one()
    return Ratio(resolved or 0, total or 0)


def satisfaction(session: Session, window: Window) -> Ratio:
    """Survey answers given in the window that were 满意 or 基本满意."""
    answers = select(func.count()).select_from(SurveyResponse).where(_in(SurveyResponse.at, window))
    if window.grid_id is not None:
        answers = answers.join(Survey, Survey.id == SurveyResponse.survey_id)
    good = func.count(case((SurveyResponse.rating.in_(GOOD_RATINGS), 1)))
    both = _grid(answers.add_columns(good), window, Survey.concern_id)
    total, satisfied = session.execute(both).one()
    return Ratio(satisfied or 0, total or 0)


def by_state(session: Session, window: Window) -> dict[str, int]:
    """Concerns reported in the window, by their state now."""
    stmt = _grid(select(Concern.state, func.count(Concern.id)).where(_in(Concern.created_at, window)), window)
    return dict(session.execute(stmt.group_by(Concern.state)).all())


def by_grid_and_category(session: Session, window: Window) -> list[tuple[int, str, int]]:
    """(grid id, category, count) of concerns reported in the window, biggest first."""
    stmt = _grid(select(Concern.grid_id, Concern.category, func.count(Concern.id))
                 .where(_in(Concern.created_at, window)), window)
    rows = session.execute(stmt.group_by(Concern.grid_id, Concern.category)).all()
    return sorted(((g, c, n) for g, c, n in rows), key=lambda r: (r[0], -r[2], r[1]))


@dataclass(frozen=True)
class MemberFigures:
    person_id: int
    name: str
    claimed: int
    voted: int
    comments: int
    progress: int
    resolved: int
    satisfaction: Ratio


def members(session: Session, window: Window) -> list[MemberFigures]:
    """履职清单: what each member and coordinator did in the window (one grouped query a figure)."""
    people = list(session.execute(
        select(Person.id, Person.display_name).join(PersonRole, PersonRole.person_id == Person.id)
        .where(PersonRole.role.in_(("member", "coordinator"))).distinct().order_by(Person.id)).all())

    def per_person(stmt) -> dict[int, int]:
        return dict(session.execute(stmt).all())

    def acted(action: str) -> dict[int, int]:
        return per_person(_grid(select(AuditEntry.actor_id, func.count(distinct(AuditEntry.concern_id)))
                                .where(AuditEntry.action == action, _in(AuditEntry.at, window)), window,
                                AuditEntry.concern_id).group_by(AuditEntry.actor_id))

    claimed, resolved = acted("claim"), acted("resolve")
    voted = per_person(_grid(select(Vote.person_id, func.count(distinct(Vote.deliberation_id)))
                             .join(Deliberation, Deliberation.id == Vote.deliberation_id)
                             .where(Deliberation.kind == "committee", _in(Vote.at, window)), window,
                             Deliberation.concern_id).group_by(Vote.person_id))
    comments = per_person(_grid(select(Comment.person_id, func.count(Comment.id)).where(_in(Comment.at, window)),
                                window, Comment.concern_id).group_by(Comment.person_id))
    progress = per_person(_grid(select(AuditEntry.actor_id, func.count(AuditEntry.id))  # /progress, not /resolve
                                .where(AuditEntry.action == "progress", _in(AuditEntry.at, window)), window,
                                AuditEntry.concern_id).group_by(AuditEntry.actor_id))
    answers = (select(Survey.resolved_by_id, func.count(SurveyResponse.id))
               .join(SurveyResponse, SurveyResponse.survey_id == Survey.id).where(_in(SurveyResponse.at, window)))
    all_answers = per_person(_grid(answers, window, Survey.concern_id).group_by(Survey.resolved_by_id))
    good_answers = per_person(_grid(answers.where(SurveyResponse.rating.in_(GOOD_RATINGS)), window, Survey.concern_id)
                              .group_by(Survey.resolved_by_id))
    return [MemberFigures(pid, name, claimed.get(pid, 0), voted.get(pid, 0), comments.get(pid, 0),
                          progress.get(pid, 0), resolved.get(pid, 0),
                          Ratio(good_answers.get(pid, 0), all_answers.get(pid, 0)))
            for pid, name in people]
