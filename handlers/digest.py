"""The coordinators' daily digest (a first cut; figures and rates grow in a later issue).

Scheduled as one row per local day (``digest:YYYY-MM-DD``). When the bot was down, the
overdue row fires once, marked late, and the next one is scheduled after *now*, so missed
days never pile up into a burst of digests.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import schedule
from storage.models import (Chat, Concern, Deliberation, Grid, OutboxMessage, Person, ScheduledJob, Survey,
                            SurveyResponse)

from .context import Context, render
from .lifecycle import OPEN
from .settings import Settings

LATE_AFTER = timedelta(hours=1)
LIST_LIMIT = 5


def next_digest_at(settings: Settings, after: datetime) -> datetime:
    local = after.astimezone(settings.zone)
    at = local.replace(hour=settings.digest_time.hour, minute=settings.digest_time.minute, second=0, microsecond=0)
    if at <= local:
        at = (local + timedelta(days=1)).replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return at


def ensure_scheduled(session: Session, settings: Settings, now: datetime) -> None:
    """Make sure the next digest is on the schedule (idempotent; call at start-up)."""
    at = next_digest_at(settings, now)
    schedule.schedule(session, kind="digest", due_at=at, dedupe_key=f"digest:{at.date().isoformat()}", now=now,
                      payload={"since": (at - timedelta(days=1)).isoformat()})


def digest_job(ctx: Context, job: ScheduledJob) -> str:
    since = datetime.fromisoformat(job.payload["since"])
    lang = ctx.settings.language
    day = job.due_at.astimezone(ctx.settings.zone).date().isoformat()
    late = render(lang, "digest.late") if ctx.now - job.due_at > LATE_AFTER else ""
    lines = _figures(ctx, since, lang)
    ensure_scheduled(ctx.session, ctx.settings, ctx.now)
    if not lines:
        if ctx.settings.digest_when_quiet:
            open_count = ctx.session.scalar(select(func.count()).select_from(Concern).where(
                Concern.state.in_([s.value for s in OPEN]))) or 0
            ctx.to_coordinators("digest.quiet", date=day + late, open=open_count)
            return "quiet"
        return "nothing to report"
    text = "\n".join([render(lang, "digest.head", date=day, late=late), *lines])
    ctx.to_coordinators("digest.body", body=text)
    return "sent"


def _figures(ctx: Context, since: datetime, lang: str) -> list[str]:
    s = ctx.session
    lines: list[str] = []
    new = s.execute(select(Grid.name, func.count(Concern.id)).join(Concern, Concern.grid_id == Grid.id)
                    .where(Concern.created_at >= since, Concern.created_at < ctx.now)
                    .group_by(Grid.name).order_by(Grid.name)).all()
    if new:
        lines.append(render(lang, "digest.new", count=sum(n for _, n in new),
                            by_grid="，".join(f"{g} {n}" for g, n in new)))
    states = dict(s.execute(select(Concern.state, func.count()).group_by(Concern.state)).all())
    if any(states.get(k) for k in ("reported", "deliberating", "in_progress", "decided", "claimed", "reopened")):
        lines.append(render(lang, "digest.open", reported=states.get("reported", 0),
                            deliberating=states.get("deliberating", 0),
                            in_progress=states.get("in_progress", 0) + states.get("decided", 0),
                            reopened=states.get("reopened", 0)))
    day_end = ctx.now + timedelta(days=1)
    closing = list(s.scalars(select(Deliberation.concern_id).where(
        Deliberation.state == "open", Deliberation.closes_at < day_end).order_by(Deliberation.closes_at)))
    if closing:
        lines.append(render(lang, "digest.closing", items=_list(lang, closing)))
    unhappy = list(s.scalars(select(Survey.concern_id).join(SurveyResponse, SurveyResponse.survey_id == Survey.id)
                             .where(SurveyResponse.rating == "dissatisfied", SurveyResponse.at >= since)
                             .distinct()))
    if unhappy:
        lines.append(render(lang, "digest.dissatisfied", items=_list(lang, sorted(unhappy))))
    unreachable = _unreachable(s, since)
    if unreachable:
        shown = "、".join(unreachable[:LIST_LIMIT])
        if len(unreachable) > LIST_LIMIT:
            shown += " " + render(lang, "digest.more", count=len(unreachable) - LIST_LIMIT)
        lines.append(render(lang, "digest.unreachable", items=shown))
    return lines if (new or closing or unhappy or unreachable) else []


def _unreachable(s, since: datetime) -> list[str]:
    """Groups the bot was removed from, and people it could not reach privately since ``since``."""
    chats = [c.title or c.key or c.external_id for c in s.scalars(
        select(Chat).where(Chat.unreachable_since.is_not(None), Chat.kind != "private").order_by(Chat.id))]
    people = s.scalars(select(Person.display_name).join(OutboxMessage, OutboxMessage.person_id == Person.id)
                       .where(OutboxMessage.state == "unreachable", OutboxMessage.created_at >= since)
                       .distinct().order_by(Person.display_name))
    return chats + list(people)


def _list(lang: str, numbers: list[int]) -> str:
    shown = "、".join(f"#{n}" for n in numbers[:LIST_LIMIT])
    if len(numbers) > LIST_LIMIT:
        shown += " " + render(lang, "digest.more", count=len(numbers) - LIST_LIMIT)
    return shown
