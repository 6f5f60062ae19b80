"""Intake that learns from the community's corrections.

Every ``/分类`` correction and every ``/定级`` a member gives is the community saying what a
report really was. ``/重新学习`` (coordinators) schedules a ``retrain`` job due at once, and
one is on the schedule every night at 03:00 (it does nothing when no member has corrected
anything since the last retraining). The ticker runs it outside the chat command: the
shipped model's examples plus each corrected concern (its text, its category and size as they stand now, weighted ``CORRECTION_WEIGHT``:
the community's own word counts more than a stranger's example) train new heads, stored in
``trained_models``. The coordinators are told how many of the corrected reports the new
model now reads right, and every process reads the next reports with the newest model
(``newest``, checked by the ticker).

A correction can make a kind of report urgent; it cannot take urgency away from a report
the size cues call urgent (doubt leans urgent, :mod:`handlers.nlp.blend`).
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from storage import schedule
from storage.models import AuditEntry, CategoryCorrection, Concern, ScheduledJob, TrainedModel

from .context import Context
from .lifecycle import Refused, Role
from .nlp.model import Example, IntakeModel
from .nlp.training import fit, read
from .common import require_role
from .settings import Settings

KIND = "retrain"
CORRECTION_WEIGHT = 3.0
NIGHTLY = time(3, 0)


def _corrected():
    """Concerns a member re-categorised or sized."""
    return or_(exists().where(CategoryCorrection.concern_id == Concern.id), Concern.size_confirmed.is_(True))


def corrections(session: Session) -> list[Example]:
    """Each concern a member re-categorised or sized, as it stands now (the last word counts)."""
    rows = session.execute(select(Concern.text, Concern.category, Concern.size)
                           .where(_corrected()).order_by(Concern.id))
    return [Example(text, category, size, CORRECTION_WEIGHT, "community") for text, category, size in rows]


def retrain(ctx: Context, args: str) -> None:
    """/重新学习 — coordinators: retrain intake from the members' corrections."""
    require_role(ctx, Role.COORDINATOR, "retrain")
    count = ctx.session.scalar(select(func.count()).select_from(Concern).where(_corrected()))
    if not count:
        raise Refused("refused.nothing_to_learn")
    if IntakeModel.shipped() is None:
        raise Refused("refused.no_model")
    assert ctx.actor is not None
    schedule.schedule(ctx.session, kind=KIND, due_at=ctx.now, dedupe_key=f"{KIND}:{ctx.now.isoformat()}",
                      now=ctx.now, payload={"person": ctx.actor.id})
    ctx.reply("retrain.queued", corrections=count)


def ensure_nightly(session: Session, settings: Settings, now: datetime) -> None:
    """Make sure the next night's retraining is on the schedule (idempotent)."""
    local = now.astimezone(settings.zone)
    at = local.replace(hour=NIGHTLY.hour, minute=NIGHTLY.minute, second=0, microsecond=0)
    if at <= local:
        at = (local + timedelta(days=1)).replace(hour=NIGHTLY.hour, minute=NIGHTLY.minute, second=0, microsecond=0)
    schedule.schedule(session, kind=KIND, due_at=at, dedupe_key=f"{KIND}:nightly:{at.date().isoformat()}", now=now,
                      payload={"nightly": True})


def _news(session: Session) -> bool:
    """Whether a member corrected a category or a size since the newest retraining."""
    last = session.scalar(select(func.max(TrainedModel.trained_at)))
    said = session.scalar(select(func.max(AuditEntry.at)).where(
        AuditEntry.action.in_(("category", "size")), AuditEntry.actor_id.is_not(None)))
    return said is not None and (last is None or said > last)


def _right(intake, model: IntakeModel | None, examples: list[Example]) -> int:
    reader = intake.with_model(model)
    return sum(a.category == e.category and a.size == e.size
               for a, e in ((reader.analyse(e.text), e) for e in examples))


def retrain_job(ctx: Context, job: ScheduledJob) -> str:
    """Train on the shipped examples plus the corrections, store the model, tell the coordinators."""
    base = IntakeModel.shipped()  # with the examples it was trained on
    if base is None:
        return "no shipped model"
    if (job.payload or {}).get("nightly") and not _news(ctx.session):
        return "nothing new since the last retraining"
    community = corrections(ctx.session)
    if not community:
        return "no corrections"
    examples = [*base.examples, *community]
    intake = ctx.intake
    _, feats, cues = read(intake, examples)
    category, size = fit(examples, feats, cues, intake.categories)
    model = IntakeModel(category, size, base.blend, (), {**base.about, "corrections": len(community)})
    before = _right(intake, intake.model, community)
    after = _right(intake, model, community)
    ctx.session.add(TrainedModel(trained_at=ctx.now, corrections=len(community), examples=len(examples),
                                 artefact=model.to_bytes(with_examples=False),
                                 requested_by_id=(job.payload or {}).get("person")))
    ctx.to_coordinators("retrain.done", corrections=len(community), before=before, after=after)
    return f"{len(community)} corrections, {len(examples)} examples; corrected reports read right {before} → {after}"


def newest(session: Session, known: int) -> tuple[int, IntakeModel] | None:
    """The newest community model if it is newer than ``known`` (its id), else None."""
    newest_id = session.scalar(select(func.max(TrainedModel.id)))
    if newest_id is None or newest_id <= known:
        return None
    raw = session.scalar(select(TrainedModel.artefact).where(TrainedModel.id == newest_id))
    return newest_id, IntakeModel.from_bytes(raw)

