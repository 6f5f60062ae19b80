"""Deliberations (协商): polls with options and votes, comments, and the decided outcome (方案)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base
from .org import Person


class Deliberation(Base):
    """A committee poll on one concern, open until ``closes_at``."""

    __tablename__ = "deliberations"
    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id", ondelete="CASCADE"), index=True)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    question: Mapped[str] = mapped_column(Text)
    multiple: Mapped[bool] = mapped_column(default=False)
    quorum_share: Mapped[float] = mapped_column(default=0.5)
    quorum_count: Mapped[int | None]                     # when set, the quorum is this many voters
    threshold: Mapped[float | None]                      # share of votes cast to pass; None: plurality
    hide_results: Mapped[bool] = mapped_column(default=False)
    kind: Mapped[str] = mapped_column(String(16), default="committee")  # committee | residents
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))  # a residents' vote's grid
    electorate: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(String(16), default="open")
    result: Mapped[str] = mapped_column(Text, default="")
    opened_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    external_poll_id: Mapped[str | None] = mapped_column(String(128))

    options: Mapped[list[Option]] = relationship(
        back_populates="deliberation", order_by="Option.position", cascade="all, delete-orphan"
    )
    votes: Mapped[list[Vote]] = relationship(back_populates="deliberation", cascade="all, delete-orphan",
                                             order_by="Vote.id")


class Option(Base):
    __tablename__ = "deliberation_options"
    __table_args__ = (UniqueConstraint("deliberation_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    deliberation_id: Mapped[int] = mapped_column(ForeignKey("deliberations.id", ondelete="CASCADE"))
    position: Mapped[int]
    text: Mapped[str] = mapped_column(String(200))

    deliberation: Mapped[Deliberation] = relationship(back_populates="options")


class Vote(Base):
    """One option chosen by a member; changing a vote replaces that member's rows.

    ``slot`` is 0 on a single-choice poll and the option's position on a multiple-choice
    one, so the database itself allows one row per member on a single-choice poll.
    """

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("deliberation_id", "person_id", "option_id"),
                      UniqueConstraint("deliberation_id", "person_id", "slot", name="uq_votes_one_choice"))
    id: Mapped[int] = mapped_column(primary_key=True)
    deliberation_id: Mapped[int] = mapped_column(ForeignKey("deliberations.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    option_id: Mapped[int] = mapped_column(ForeignKey("deliberation_options.id", ondelete="CASCADE"))
    slot: Mapped[int] = mapped_column(default=0)
    platform: Mapped[str] = mapped_column(String(32), default="text")
    at: Mapped[datetime]

    deliberation: Mapped[Deliberation] = relationship(back_populates="votes")
    person: Mapped[Person] = relationship()
    option: Mapped[Option] = relationship()


class Comment(Base):
    """A comment in a concern's thread, with an optional position (支持/中立/反对)."""

    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id", ondelete="CASCADE"), index=True)
    deliberation_id: Mapped[int | None] = mapped_column(ForeignKey("deliberations.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id"))
    text: Mapped[str] = mapped_column(Text)
    position: Mapped[str] = mapped_column(String(8), default="")
    at: Mapped[datetime]

    person: Mapped[Person] = relationship()


class Outcome(Base):
    """The decision record (方案): what was decided, by whom, with the vote summary."""

    __tablename__ = "outcomes"
    #: a concern's plans, and the figures' "decided" in one pass (migration 0010)
    __table_args__ = (Index("ix_outcomes_concern_id_at", "concern_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id", ondelete="CASCADE"))
    deliberation_id: Mapped[int | None] = mapped_column(ForeignKey("deliberations.id"))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    plan: Mapped[str] = mapped_column(Text)
    vote_summary: Mapped[str] = mapped_column(Text, default="")
    review_at: Mapped[datetime | None]
    notice_until: Mapped[datetime | None]                # 张榜公示: the plan is on notice until then
    residents_result: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]

    decided_by: Mapped[Person] = relationship()
