"""Who and where: grids (网格), chats bound to them, people and their roles."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base


class Grid(Base):
    """A neighbourhood grid (网格): the unit residents report in and figures are cut by."""

    __tablename__ = "grids"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Chat(Base):
    """A chat the bot is in. ``kind`` is grid, committee, coordinators or private."""

    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    key: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200), default="")
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    forum: Mapped[bool] = mapped_column(default=False)
    unreachable_since: Mapped[datetime | None]

    # loaded with the chat (one query, not two): a report in a grid group needs its grid
    grid: Mapped[Grid | None] = relationship(lazy="joined")


class Person(Base):
    """Anyone the bot has heard from or been told about in the config."""

    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(128), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    home_grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))
    created_at: Mapped[datetime]

    roles: Mapped[list[PersonRole]] = relationship(
        back_populates="person", cascade="all, delete-orphan", lazy="selectin"
    )
    home_grid: Mapped[Grid | None] = relationship()

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}


class PersonRole(Base):
    """A role held by a person: resident, member, coordinator or admin (optionally per grid)."""

    __tablename__ = "person_roles"
    __table_args__ = (UniqueConstraint("person_id", "role", "grid_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"))

    person: Mapped[Person] = relationship(back_populates="roles")


class Identity(Base):
    """How a person is known on one platform (Telegram user id, WeChat id, replay handle)."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    private_chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id"))
