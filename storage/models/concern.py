"""Concerns (tracked items), their supports (附议), source messages and audit trail."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base
from .org import Chat, Grid, Person


class Concern(Base):
    """A tracked concern. Its ``id`` is the number residents see (#12).

    On PostgreSQL the number comes from a sequence, so a command that failed after
    creating a concern leaves a gap in the numbering.
    """

    __tablename__ = "concerns"
    __table_args__ = (
        Index("ix_concerns_grid_state", "grid_id", "state"),
        # the figures and the digest read these without touching the rows (migration 0010)
        Index("ix_concerns_created_at", "created_at", "state", "responded_at", "respond_by"),
        Index("ix_concerns_resolve_by_state", "resolve_by", "state"),
        Index("ix_concerns_reopened_at", "reopened_at"),
        # open concerns past a deadline, counted from the index alone (migration 0011)
        Index("ix_concerns_state_deadlines", "state", "resolve_by", "respond_by", "responded_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32))
    size: Mapped[str] = mapped_column(String(8))
    size_confirmed: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(String(200), default="")
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    anonymous: Mapped[bool] = mapped_column(default=False)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reopen_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reopened_at: Mapped[datetime | None]
    #: The first answer by a member (claim or reply), never reset: the response rate's clock.
    responded_at: Mapped[datetime | None]
    #: Deadlines for the size (SLA), kept here so figures are plain SQL comparisons.
    respond_by: Mapped[datetime | None] = mapped_column(index=True)
    resolve_by: Mapped[datetime | None]
    #: Optimistic lock: two commands changing one concern at once cannot both win.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    grid: Mapped[Grid] = relationship()
    reporter: Mapped[Person] = relationship(foreign_keys=[reporter_id])
    claimed_by: Mapped[Person | None] = relationship(foreign_keys=[claimed_by_id])
    supports: Mapped[list[Support]] = relationship(
        back_populates="concern", order_by="Support.id", cascade="all, delete-orphan"
    )


class Support(Base):
    """A 附议 (me too) from another resident; ``follow`` means they get progress pushes."""

    __tablename__ = "supports"
    __table_args__ = (UniqueConstraint("concern_id", "person_id"), Index("ix_supports_at", "at"))  # 0012
    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    follow: Mapped[bool] = mapped_column(default=True)
    at: Mapped[datetime]

    concern: Mapped[Concern] = relationship(back_populates="supports")
    person: Mapped[Person] = relationship()


class SourceMessage(Base):
    """A resident message folded into a concern: the first report and every support."""

    __tablename__ = "source_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    external_message_id: Mapped[str | None] = mapped_column(String(128))
    event_id: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]

    chat: Mapped[Chat | None] = relationship()
    person: Mapped[Person] = relationship()


class MessageLink(Base):
    """Which concern a platform message (incoming report or bot card) belongs to.

    Lets a reply to that message be read as a comment on, or support of, the concern.
    """

    __tablename__ = "message_links"
    __table_args__ = (UniqueConstraint("chat_id", "external_message_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"))
    external_message_id: Mapped[str] = mapped_column(String(128))
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id", ondelete="CASCADE"))
    deliberation_id: Mapped[int | None] = mapped_column(ForeignKey("deliberations.id"))
    kind: Mapped[str] = mapped_column(String(16), default="card")


class AuditEntry(Base):
    """One state change or recorded action: who, when, from → to."""

    __tablename__ = "audit_log"
    #: the figures count concerns by action, in one pass over this index (migration 0010)
    __table_args__ = (Index("ix_audit_log_action_concern", "action", "concern_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int | None] = mapped_column(ForeignKey("concerns.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime]

    actor: Mapped[Person | None] = relationship()


class ConcernKey(Base):
    """An index entry for folding duplicates: a place (``bldg:3``) or a problem word (``term:路灯``).

    A new report looks up open concerns of its grid that share a key, instead of reading
    every open concern's text.
    """

    __tablename__ = "concern_keys"
    __table_args__ = (Index("ix_concern_keys_grid_key", "grid_id", "key"),
                      UniqueConstraint("concern_id", "key"))
    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id", ondelete="CASCADE"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"))
    key: Mapped[str] = mapped_column(String(120))


class CategoryCorrection(Base):
    """A member's correction of the category chosen at intake: training data for the lexicon."""

    __tablename__ = "category_corrections"
    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id", ondelete="CASCADE"), index=True)
    before: Mapped[str] = mapped_column(String(32))
    after: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime]
