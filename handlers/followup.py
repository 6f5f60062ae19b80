"""帮邻办事 and its exits: assignment and hand-offs, progress, resolution, reopen, convert, reject."""
from __future__ import annotations

from sqlalchemy import update

from storage import queries, schedule
from storage.models import Assignment, Concern, ProgressNote, Proposal, Survey

from . import sla
from .common import load, move, need_text, require
from .deliberation import stop_native_polls
from .context import Context, Word, concern_params
from .lifecycle import Refused, Role

KIND_WORDS = {"提案": "proposal", "proposal": "proposal", "社情民意": "report", "report": "report"}


def assign(ctx: Context, args: str) -> None:
    """委员出力: ``/assign 12 @handle [note]``; the assignee is told privately."""
    concern, rest = load(ctx, args, "/assign 12 @li")
    require(ctx, concern, "assign")
    handle, _, note = rest.partition(" ")
    handle = handle.lstrip("@＠")
    if not handle:
        raise Refused("refused.need_text", example=f"/assign {concern.id} @li")
    person = queries.person_by_handle(ctx.session, handle)
    if person is None:
        raise Refused("refused.no_member", handle=handle)
    if Role.of(person.role_names) < Role.MEMBER:
        raise Refused("refused.not_member", name=person.display_name)
    _hand_over(ctx, concern, "member", note.strip(), assignee_id=person.id)
    outcome = queries.latest_outcome(ctx.session, concern.id)
    ctx.to_person(person, "assign.private", concern=concern, plan=outcome.plan if outcome else "—",
                  **concern_params(concern))
    ctx.reply("assign.inform", concern=concern, number=concern.id, member=person.display_name)
    ctx.inform(concern, "assign.inform", number=concern.id, member=person.display_name)


def handoff(ctx: Context, args: str) -> None:
    """部门助力: ``/handoff 12 城管局 [note]``."""
    _to_department(ctx, args, "department", "handoff.inform", "/handoff 12 区城管局")


def escalate(ctx: Context, args: str) -> None:
    """向上借力: ``/escalate 12 街道办 [note]``; coordinators are told too."""
    concern = _to_department(ctx, args, "escalation", "escalate.inform", "/escalate 12 街道办")
    ctx.to_coordinators("escalate.inform", concern=concern, number=concern.id,
                        department=queries.active_assignment(ctx.session, concern.id).department)


def progress(ctx: Context, args: str) -> None:
    concern, note = load(ctx, args, "/progress 12 已联系供电所")
    note = need_text(note, f"/progress {concern.id} 已联系供电所，周三来修")
    move(ctx, concern, "progress")
    ctx.session.add(ProgressNote(concern_id=concern.id, author_id=ctx.actor.id, text=note, at=ctx.now))
    ctx.reply("progress.inform", concern=concern, number=concern.id, note=note)
    ctx.inform(concern, "progress.inform", number=concern.id, note=note)


def resolve(ctx: Context, args: str) -> None:
    """办结, and schedule the satisfaction survey after the configured delay."""
    concern, note = load(ctx, args, "/resolve 12 已更换灯泡")
    note = need_text(note, f"/resolve {concern.id} 已更换灯泡")
    move(ctx, concern, "resolve", note=note)
    concern.resolved_at = ctx.now
    ctx.session.add(ProgressNote(concern_id=concern.id, author_id=ctx.actor.id, text=note, at=ctx.now))
    round_ = concern.reopen_count + 1  # one resolution (and one survey) per reopening
    schedule.schedule(ctx.session, kind="survey_send", due_at=ctx.now + ctx.settings.survey_delay,
                      dedupe_key=f"survey_send:{concern.id}:{round_}", now=ctx.now, concern_id=concern.id,
                      payload={"round": round_, "resolved_by": ctx.actor.id})
    ctx.reply("resolve.inform", concern=concern, number=concern.id, note=note)
    ctx.inform(concern, "resolve.inform", number=concern.id, note=note)


def reopen(ctx: Context, args: str) -> None:
    concern, reason = load(ctx, args, "/reopen 12 居民反映又坏了")
    reason = need_text(reason, f"/reopen {concern.id} 居民反映又坏了")
    reopen_concern(ctx, concern, "reopen", reason)
    ctx.reply("reopen.inform", concern=concern, number=concern.id, reason=reason)
    ctx.inform(concern, "reopen.inform", number=concern.id, reason=reason)
    ctx.to_committee("reopen.inform", concern=concern, number=concern.id, reason=reason)


def reopen_concern(ctx: Context, concern: Concern, action: str, reason: str) -> None:
    """回头看: back to the queue; pending surveys are called off and the count goes up."""
    move(ctx, concern, action, reason=reason)
    concern.reopen_count += 1
    concern.reopened_at = ctx.now
    concern.claimed_by_id = None
    concern.first_response_at = None  # 回头看: it must be answered again, in time
    sla.plan(ctx, concern)
    ctx.session.execute(update(Assignment).where(Assignment.concern_id == concern.id, Assignment.active.is_(True))
                        .values(active=False))
    schedule.cancel(ctx.session, concern_id=concern.id, kinds=("survey_send", "survey_reminder", "survey_close"),
                    now=ctx.now)
    ctx.session.execute(update(Survey).where(Survey.concern_id == concern.id, Survey.state == "open")
                        .values(state="closed", closed_at=ctx.now))


def reject(ctx: Context, args: str) -> None:
    concern, reason = load(ctx, args, "/reject 12 不属于社区职责，已告知12345")
    reason = need_text(reason, f"/reject {concern.id} 不属于社区职责，已告知12345")
    move(ctx, concern, "reject", reason=reason)
    end_poll(ctx, concern)
    ctx.reply("reject.inform", concern=concern, number=concern.id, reason=reason)
    ctx.inform(concern, "reject.inform", number=concern.id, reason=reason)
    ctx.to_committee("reject.inform", concern=concern, number=concern.id, reason=reason)


def convert(ctx: Context, args: str) -> None:
    """转化: ``/convert 12 提案 标题 [| 摘要]`` (or 社情民意)."""
    concern, rest = load(ctx, args, "/convert 12 提案 关于加装电梯的建议")
    require(ctx, concern, "convert")
    kind_word, _, rest = rest.partition(" ")
    kind = KIND_WORDS.get(kind_word.lower())
    if kind is None:
        raise Refused("refused.bad_kind", number=concern.id)
    title, _, summary = rest.partition("|")
    title = need_text(title, f"/convert {concern.id} 提案 关于加装电梯的建议")
    move(ctx, concern, "convert", kind=kind)
    ctx.session.add(Proposal(concern_id=concern.id, kind=kind, title=title, summary=summary.strip(),
                             created_by_id=ctx.actor.id, at=ctx.now))
    end_poll(ctx, concern)
    params = dict(number=concern.id, kind=Word("kind", kind), title=title)
    ctx.reply("convert.inform", concern=concern, **params)
    ctx.inform(concern, "convert.inform", **params)
    ctx.to_committee("convert.inform", concern=concern, **params)


def end_poll(ctx: Context, concern: Concern) -> None:
    """A concern leaving deliberation (rejected, converted) takes its open poll with it."""
    poll = queries.latest_deliberation(ctx.session, concern.id)
    if poll is not None and poll.state == "open":
        poll.state, poll.closed_at, poll.result = "cancelled", ctx.now, "cancelled"
        stop_native_polls(ctx, poll)
    schedule.cancel(ctx.session, concern_id=concern.id, kinds=("poll_close", "poll_reminder"), now=ctx.now)


def _to_department(ctx: Context, args: str, kind: str, key: str, example: str) -> Concern:
    concern, rest = load(ctx, args, example)
    require(ctx, concern, "assign")
    department, _, note = rest.partition(" ")
    if not department.strip():
        raise Refused("refused.need_department", example=example.replace("12", str(concern.id)))
    _hand_over(ctx, concern, kind, note.strip(), department=department.strip())
    ctx.reply(key, concern=concern, number=concern.id, department=department)
    ctx.inform(concern, key, number=concern.id, department=department)
    return concern


def _hand_over(ctx: Context, concern: Concern, kind: str, note: str, *, assignee_id: int | None = None,
               department: str = "") -> None:
    move(ctx, concern, "assign", kind=kind, assignee=assignee_id, department=department)
    ctx.session.execute(update(Assignment).where(Assignment.concern_id == concern.id, Assignment.active.is_(True))
                        .values(active=False))
    ctx.session.add(Assignment(concern_id=concern.id, kind=kind, assignee_id=assignee_id, department=department,
                               note=note, assigned_by_id=ctx.actor.id, at=ctx.now))
