"""The coordinators' daily digest: one message, numbers first, lists cut short.

Scheduled as one row per local day (``digest:YYYY-MM-DD``). When the bot was down, the
overdue row fires once, marked late, and the next one is scheduled after *now*, so missed
days never pile up into a burst of digests. The weekly summary and the monthly 履职清单 are
scheduled here too (``handlers.weekly`` writes them).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import figures, schedule
from storage.figures import Window
from storage.models import (Assignment, Chat, Concern, Deliberation, Grid, OutboxMessage, Person, ScheduledJob,
                            Survey, SurveyResponse)

from .context import Context, render
from .lifecycle import OPEN
from .settings import Settings

LATE_AFTER = timedelta(hours=1)
LIST_LIMIT = 5
OPEN_STATES = [s.value for s in OPEN]


def next_digest_at(settings: Settings, after: datetime) -> datetime:
    local = after.astimezone(settings.zone)
    at = local.replace(hour=settings.digest_time.hour, minute=settings.digest_time.minute, second=0, microsecond=0)
    if at <= local:
        at = (local + timedelta(days=1)).replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return at


def ensure_scheduled(session: Session, settings: Settings, now: datetime) -> None:
    """Make sure the next digest (and weekly summary, monthly list) is on the schedule (idempotent)."""
    at = next_digest_at(settings, now)
    schedule.schedule(session, kind="digest", due_at=at, dedupe_key=f"digest:{at.date().isoformat()}", now=now,
                      payload={"since": (at - timedelta(days=1)).isoformat()})
    if settings.weekly_day is not None:
        day = at + timedelta(days=(settings.weekly_day - at.weekday()) % 7)
        schedule.schedule(session, kind="weekly", due_at=day, dedupe_key=f"weekly:{day.date().isoformat()}", now=now)
    if settings.members_monthly:
        first = at if at.day == 1 else (at.replace(day=1) + timedelta(days=32)).replace(day=1)
        schedule.schedule(session, kind="members_monthly", due_at=first,
                          dedupe_key=f"members:{first.date().isoformat()}", now=now)


def late_mark(ctx: Context, job: ScheduledJob) -> str:
    return render(ctx.settings.language, "digest.late") if ctx.now - job.due_at > LATE_AFTER else ""


def digest_job(ctx: Context, job: ScheduledJob) -> str:
    since = datetime.fromisoformat(job.payload["since"])
    lang = ctx.settings.language
    day = job.due_at.astimezone(ctx.settings.zone).date().isoformat()
    late = late_mark(ctx, job)
    lines, happened = _body(ctx, since, lang)
    ensure_scheduled(ctx.session, ctx.settings, ctx.now)
    if not happened:
        if ctx.settings.digest_when_quiet:
            open_count = ctx.session.scalar(select(func.count()).select_from(Concern).where(
                Concern.state.in_(OPEN_STATES))) or 0
            ctx.to_coordinators("digest.quiet", date=day + late, open=open_count)
            return "quiet"
        return "nothing to report"
    text = "\n".join([render(lang, "digest.head", date=day, late=late), *lines])
    ctx.to_coordinators("digest.body", body=text)
    return "sent"


def _body(ctx: Context, since: datetime, lang: str) -> tuple[list[str], bool]:
    """The digest's lines (numbers first), and whether anything happened since ``since``.

    Every list is counted in the database and only its first ``LIST_LIMIT`` items are read,
    so a district with thousands of overdue concerns costs what one with five does.
    """
    s, now = ctx.session, ctx.now
    window = Window(since, now)
    new = figures.by_grid_and_category(s, window)
    overdue_response = _first(s, select(Concern.id).where(
        Concern.state.in_(OPEN_STATES), Concern.responded_at.is_(None), Concern.respond_by < now)
        .order_by(Concern.respond_by, Concern.id))
    late = _first(s, select(Concern.id, Concern.claimed_by_id).where(
        Concern.state.in_(OPEN_STATES), Concern.resolve_by < now).order_by(Concern.resolve_by, Concern.id))
    closing = _first(s, select(Deliberation.concern_id, Deliberation.closes_at).where(
        Deliberation.state == "open", Deliberation.closes_at < now + timedelta(days=1))
        .order_by(Deliberation.closes_at, Deliberation.id))
    no_quorum = _first(s, select(Deliberation.concern_id).where(
        Deliberation.result == "no_quorum", Deliberation.closed_at >= since)
        .group_by(Deliberation.concern_id).order_by(func.min(Deliberation.closed_at), Deliberation.concern_id))
    answers = dict(s.execute(select(SurveyResponse.rating, func.count(SurveyResponse.id))
                             .where(SurveyResponse.at >= since).group_by(SurveyResponse.rating)).all())
    unhappy = _first(s, select(Survey.concern_id).join(SurveyResponse, SurveyResponse.survey_id == Survey.id)
                     .where(SurveyResponse.rating == "dissatisfied", SurveyResponse.at >= since)
                     .group_by(Survey.concern_id).order_by(Survey.concern_id))
    reopened = _first(s, select(Concern.id).where(Concern.reopened_at >= since)
                      .order_by(Concern.reopened_at, Concern.id))
    unreachable = _unreachable(s, since)
    open_count = s.scalar(select(func.count()).select_from(Concern).where(Concern.state.in_(OPEN_STATES))) or 0

    r = lambda key, **p: render(lang, key, **p)  # noqa: E731
    numbered = lambda listed: _cut(lang, [f"#{row[0]}" for row in listed.rows], listed.total)  # noqa: E731
    lines = [r("digest.numbers", new=sum(n for _, _, n in new), open=open_count,
               overdue=overdue_response.total + late.total, closing=closing.total, answered=sum(answers.values()),
               dissatisfied=answers.get("dissatisfied", 0), reopened=reopened.total)]
    if new:
        lines.append(r("digest.new", count=sum(n for _, _, n in new), by_grid=_by_grid(s, new, lang)))
    if overdue_response:
        lines.append(r("digest.overdue_response", items=numbered(overdue_response)))
    if late:
        named = [f"#{n} {_carrier(s, n, pid)}" for n, pid in late.rows]
        lines.append(r("digest.overdue_resolution", items=_cut(lang, named, late.total)))
    if closing:
        zone = ctx.settings.zone
        closes = [f"#{n} {at.astimezone(zone):%H:%M}" for n, at in closing.rows]
        lines.append(r("digest.closing", items=_cut(lang, closes, closing.total)))
    if no_quorum:
        lines.append(r("digest.no_quorum", items=numbered(no_quorum)))
    if answers:
        lines.append(r("digest.answered", count=sum(answers.values()), satisfied=answers.get("satisfied", 0),
                       basically=answers.get("basically", 0), dissatisfied=answers.get("dissatisfied", 0)))
    if unhappy:
        lines.append(r("digest.dissatisfied", items=numbered(unhappy)))
    if reopened:
        lines.append(r("digest.reopened", items=numbered(reopened)))
    if unreachable:
        lines.append(r("digest.unreachable", items=_cut(lang, unreachable)))
    happened = bool(new or closing or no_quorum or answers or reopened or unreachable or overdue_response or late)
    return lines, happened


@dataclass(frozen=True)
class Listed:
    rows: list     # the first LIST_LIMIT rows
    total: int     # how many there are

    def __bool__(self) -> bool:
        return self.total > 0


def _first(s, stmt) -> Listed:
    """The first ``LIST_LIMIT`` rows of ``stmt`` and how many rows it has, both from the database."""
    rows = list(s.execute(stmt.limit(LIST_LIMIT)))
    if len(rows) < LIST_LIMIT:
        return Listed(rows, len(rows))
    total = s.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    return Listed(rows, total)


def _by_grid(s, rows: list[tuple[int, str, int]], lang: str) -> str:
    """The busiest grids first (the first ``LIST_LIMIT``), each with its categories."""
    grids: dict[int, list[tuple[str, int]]] = {}
    for grid_id, category, n in rows:
        grids.setdefault(grid_id, []).append((category, n))
    busiest = sorted(grids, key=lambda g: (-sum(n for _, n in grids[g]), g))
    names = dict(s.execute(select(Grid.id, Grid.name).where(Grid.id.in_(busiest[:LIST_LIMIT]))).all())
    parts = []
    for grid_id in busiest[:LIST_LIMIT]:
        cats = grids[grid_id]
        inner = _cut(lang, [f"{c} {n}" for c, n in cats])
        parts.append(f"{names.get(grid_id, '?')} {sum(n for _, n in cats)}（{inner}）")
    return _cut(lang, parts, len(busiest), sep="；")


def _carrier(s, concern_id: int, claimed_by_id: int | None) -> str:
    """Who carries an overdue concern: its active assignee or department, else who claimed it."""
    assignment = s.scalars(select(Assignment).where(Assignment.concern_id == concern_id, Assignment.active.is_(True))
                           .order_by(Assignment.id.desc())).first()
    if assignment is not None and assignment.assignee_id is not None:
        return s.get(Person, assignment.assignee_id).display_name
    if assignment is not None and assignment.department:
        return assignment.department
    return s.get(Person, claimed_by_id).display_name if claimed_by_id else "—"


def _unreachable(s, since: datetime) -> list[str]:
    """Groups the bot was removed from, and people it could not reach privately since ``since``."""
    chats = [c.title or c.key or c.external_id for c in s.scalars(
        select(Chat).where(Chat.unreachable_since.is_not(None), Chat.kind != "private").order_by(Chat.id))]
    people = s.scalars(select(Person.display_name).join(OutboxMessage, OutboxMessage.person_id == Person.id)
                       .where(OutboxMessage.state == "unreachable", OutboxMessage.created_at >= since)
                       .distinct().order_by(Person.display_name))
    return chats + list(people)


def _cut(lang: str, items: list[str], total: int | None = None, sep: str = "、") -> str:
    """The first few items, then "and N more" (of ``total``, if more exist than were read)."""
    total = len(items) if total is None else total
    shown = sep.join(items[:LIST_LIMIT])
    if total > LIST_LIMIT:
        shown += render(lang, "digest.more", count=total - LIST_LIMIT)
    return shown
