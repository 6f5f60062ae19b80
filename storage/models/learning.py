"""What intake has learnt: the community's own intake models, retrained from its corrections."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class TrainedModel(Base):
    """One retraining: the model (``handlers.nlp.model.IntakeModel`` bytes, weights only) learnt
    from the shipped examples plus ``corrections`` of the community's members, as they stood at
    ``trained_at``. The newest row is the model every process reads reports with."""

    __tablename__ = "trained_models"
    id: Mapped[int] = mapped_column(primary_key=True)
    trained_at: Mapped[datetime]
    corrections: Mapped[int]
    examples: Mapped[int]
    artefact: Mapped[bytes] = mapped_column(LargeBinary)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
