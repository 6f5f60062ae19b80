"""Acting and evaluating: assignments and hand-offs, progress notes, surveys, proposals."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base
from .org import Person


class Assignment(Base):
    """Who carries a concern out: a member (委员出力), a department (部门助力) or upward (向上借力).

    ``kind`` is member, department or escalation; ``active`` is false once superseded.
    """

    __tablename__ = "assignments"
    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    department: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    active: Mapped[bool] = mapped_column(default=True)
    at: Mapped[datetime]

    assignee: Mapped[Person | None] = relationship(foreign_keys=[assignee_id])


class ProgressNote(Base):
    __tablename__ = "progress_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]

    author: Mapped[Person] = relationship()


class Survey(Base):
    """A satisfaction survey round after a resolution; ``round`` counts re-resolutions."""

    __tablename__ = "surveys"
    __table_args__ = (UniqueConstraint("concern_id", "round"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id", ondelete="CASCADE"), index=True)
    round: Mapped[int]
    state: Mapped[str] = mapped_column(String(16), default="scheduled")
    send_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    #: Whose work is being rated: the member who resolved this round (the 履职清单's 满意率).
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    responses: Mapped[list[SurveyResponse]] = relationship(
        back_populates="survey", cascade="all, delete-orphan", order_by="SurveyResponse.id"
    )


class SurveyResponse(Base):
    """满意 / 基本满意 / 不满意 from one respondent; a second answer replaces the first."""

    __tablename__ = "survey_responses"
    # the answers of a day, a month or a year (the digest, the satisfaction rate, the ledger) from the
    # index alone: migrations 0011, 0012
    __table_args__ = (UniqueConstraint("survey_id", "person_id"),
                      Index("ix_survey_responses_at_rating", "at", "rating"))
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    rating: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]

    survey: Mapped[Survey] = relationship(back_populates="responses")
    person: Mapped[Person] = relationship()


class Proposal(Base):
    """A concern converted (转化) to a formal proposal (提案) or a 社情民意 report."""

    __tablename__ = "proposals"
    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime]
