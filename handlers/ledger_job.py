"""The Excel ledger asked for in chat, built by the ticker rather than in the chat command.

``/export`` only checks who asks and what, and schedules a ``ledger`` job due at once (in
the command's transaction: a refused or failed command schedules nothing). The ticker runs
the job in a transaction of its own: the workbook is streamed to a temporary file on disk
(``ledger_book.write``), then stored from there a chunk at a time (``storage.file_stream``)
with the outbox row that sends it to whoever asked, privately. A coordinator never gets half
a file, and a month of a large district does not hold a chat command's transaction (or its
memory) while it is written.
"""
from __future__ import annotations

import dataclasses
import tempfile
from datetime import date

from storage import file_stream, files, schedule
from storage.models import Chat, Person, ScheduledJob

from . import ledger_book
from .context import Context
from .lifecycle import Role
from .periods import Period
from .texts import t

KIND = "ledger"


def request(ctx: Context, period: Period, *, hide_reporters: bool) -> None:
    """Schedule the ledger of ``period`` for the actor, due now."""
    assert ctx.actor is not None and ctx.chat is not None
    payload = {"person": ctx.actor.id, "chat": ctx.chat.id, "first": period.first.isoformat(),
               "last": period.last.isoformat(), "hide_reporters": hide_reporters}
    key = f"{KIND}:{ctx.actor.id}:{period.label}:{int(hide_reporters)}:{ctx.now.isoformat()}"
    schedule.schedule(ctx.session, kind=KIND, due_at=ctx.now, dedupe_key=key, now=ctx.now, payload=payload)


def job(ctx: Context, job: ScheduledJob) -> str:
    """Write the workbook to disk, store it, and send it to the coordinator who asked."""
    p = job.payload
    person = ctx.session.get(Person, p["person"])
    chat = ctx.session.get(Chat, p["chat"])
    if person is None or chat is None:
        return "requester gone"
    asker = dataclasses.replace(ctx, actor=person, chat=chat, role=Role.of(person.role_names), replies=[])
    period = Period(date.fromisoformat(p["first"]), date.fromisoformat(p["last"]), ctx.settings.zone)
    name = f"{t(asker.lang, 'export.filename')}-{period.label}.xlsx"
    with tempfile.TemporaryFile(prefix="shangliang-ledger-") as out:
        concerns, polls, answers = ledger_book.write(ctx.session, ctx.settings, period, ctx.now, out,
                                                     hide_reporters=bool(p.get("hide_reporters")))
        file_id = file_stream.save(ctx.session, name=name, media_type=files.XLSX, source=out, now=ctx.now)
    caption = t(asker.lang, "export.caption", period=period.label, concerns=concerns, polls=polls, answers=answers)
    asker.reply_text(caption, private=True, kind="reply:export", payload={"file": file_id})
    return f"{concerns} concerns, {polls} polls, {answers} answers"
