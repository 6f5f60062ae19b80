"""The inbox: every update a platform sends, stored before the platform is told it arrived."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class InboundUpdate(Base):
    """One update (Telegram ``update_id``, a WeChat message id), kept until it was handled.

    An adapter stores the raw update in its own short transaction and only then confirms it
    to the platform; the command that handles it marks ``handled_at`` in the command's own
    transaction, so a crash at any point leaves each update either handled once or stored
    and waiting for the next start. The payload is emptied once handled (it carries the
    resident's words) and handled rows are pruned after a few days.

    ``sender`` (the platform's user id, when the update has one) lets a process handling
    someone's update handle their earlier ones first, wherever they were stored: with
    several processes behind a load balancer, one person's updates must still take effect
    in the order they came (a changed vote after the first one).
    """

    __tablename__ = "inbound_updates"
    __table_args__ = (UniqueConstraint("platform", "external_id"),
                      Index("ix_inbound_updates_pending", "platform", "handled_at"),
                      Index("ix_inbound_updates_sender", "platform", "sender", "handled_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    sender: Mapped[str | None] = mapped_column(String(128))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime]
    handled_at: Mapped[datetime | None]
