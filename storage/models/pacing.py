"""Shared send pacing: one row per rate-limited key (a platform's whole bot, one chat)."""
from __future__ import annotations

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class SendPacing(Base):
    """What every sender of a platform has let through lately under one key's rule.

    ``key`` is e.g. ``telegram:all`` or ``telegram:chat:-1001``; ``state`` is the rule's
    memory in seconds since the epoch: ``{"tat": …}`` for a token bucket, ``{"sent": […]}``
    for a sliding window, and ``{"until": …}`` after the platform said 429. Senders change a
    row only while holding its lock (``storage.pacing``).
    """

    __tablename__ = "send_pacing"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[dict] = mapped_column(JSON, default=dict)
