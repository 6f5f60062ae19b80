"""Durable work: the outbox of messages to send and the schedule of timed work."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class OutboxMessage(Base):
    """A message to send, written in the same transaction as the change it reports.

    It goes to a chat (``chat_id``) or to a person privately (``person_id``) on ``platform``,
    whose sender alone claims it; the adapter decides how a person is reached there. ``state``: pending → sent, superseded (an edit overtaken by a newer one of the same message), or failed /
    unreachable. ``locked_until`` is a sender's lease.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_not_before", "state", "not_before"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    platform: Mapped[str] = mapped_column(String(32), index=True)
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    concern_id: Mapped[int | None] = mapped_column(ForeignKey("concerns.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    reply_to_external_id: Mapped[str | None] = mapped_column(String(128))
    buttons: Mapped[list] = mapped_column(JSON, default=list)
    #: Platform-specific intent for platforms that can do more than send text:
    #: {"poll": deliberation id}, {"stop_poll": deliberation id}, {"edit": message id}.
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    not_before: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    external_message_id: Mapped[str | None] = mapped_column(String(128))


class ScheduledJob(Base):
    """Timed work (poll close, reminder, survey, digest) as a row, not an APScheduler job.

    The ticker turns due rows into state changes and outbox messages; ``dedupe_key`` makes
    scheduling idempotent, so a restart or a second worker never doubles a job.
    """

    __tablename__ = "scheduled_jobs"
    __table_args__ = (Index("ix_scheduled_jobs_state_due", "state", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime]
    concern_id: Mapped[int | None] = mapped_column(ForeignKey("concerns.id", ondelete="CASCADE"))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    result: Mapped[str] = mapped_column(Text, default="")


class StoredFile(Base):
    """A file the bot sends (an .xlsx ledger, a chart): made in the command's transaction,
    sent by an outbox row whose payload is ``{"file": id}``."""

    __tablename__ = "files"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class Menu(Base):
    """The numbered choices last sent to a person privately on a platform without buttons:
    a bare "2" in their private chat answers it (``commands[1]``)."""

    __tablename__ = "menus"
    __table_args__ = (UniqueConstraint("person_id", "platform"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(32))
    commands: Mapped[list] = mapped_column(JSON, default=list)
    at: Mapped[datetime]
