"""Who is who: bringing the grids, chats and people named in the config into the database.

Idempotent: run at every start-up; existing rows are updated, nobody is deleted (people
who left keep their history).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Chat, Grid, Identity, Person, PersonRole

ROLES = ("resident", "member", "coordinator", "admin")
CHAT_KINDS = ("grid", "committee", "coordinators", "private")


@dataclass(frozen=True)
class GridEntry:
    key: str
    name: str


@dataclass(frozen=True)
class ChatEntry:
    """A chat by its config key; ``ids`` maps a platform to its chat id there.

    In a replay the key itself is the chat's id on the ``replay`` platform.
    """

    key: str
    kind: str
    grid: str | None = None
    title: str = ""
    ids: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PersonEntry:
    handle: str
    name: str
    roles: tuple[str, ...] = ("resident",)
    grid: str | None = None
    language: str = "zh"
    ids: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Directory:
    grids: tuple[GridEntry, ...] = ()
    chats: tuple[ChatEntry, ...] = ()
    people: tuple[PersonEntry, ...] = ()


def external_id(platform: str, key: str, ids: dict[str, str]) -> str | None:
    return key if platform == "replay" else (str(ids[platform]) if platform in ids else None)


def sync(session: Session, directory: Directory, now: datetime, platforms: tuple[str, ...] = ("replay",)) -> None:
    """Write the directory for the platforms this process serves."""
    grids = {g.key: g for g in session.scalars(select(Grid))}
    for entry in directory.grids:
        grid = grids.get(entry.key) or Grid(key=entry.key, name=entry.name)
        grid.name = entry.name
        session.add(grid)
        grids[entry.key] = grid
    session.flush()
    for entry in directory.chats:
        for platform in platforms:
            chat_id = external_id(platform, entry.key, entry.ids)
            if chat_id is None:
                continue
            chat = session.scalars(select(Chat).where(Chat.platform == platform, Chat.external_id == chat_id)).first()
            chat = chat or Chat(platform=platform, external_id=chat_id)
            chat.key, chat.kind, chat.title = entry.key, entry.kind, entry.title or entry.key
            chat.grid_id = grids[entry.grid].id if entry.grid else None
            session.add(chat)
    listed = {entry.handle for entry in directory.people}
    for person in session.scalars(select(Person).where(Person.handle.not_in(listed))):
        # the config is the source of truth for roles: someone no longer listed keeps only "resident"
        person.roles = [r for r in person.roles if r.role == "resident"]
    for entry in directory.people:
        person = session.scalars(select(Person).where(Person.handle == entry.handle)).first()
        if person is None:
            person = Person(handle=entry.handle, display_name=entry.name, created_at=now)
            session.add(person)
        person.display_name, person.language = entry.name, entry.language
        person.home_grid_id = grids[entry.grid].id if entry.grid else person.home_grid_id
        wanted = set(entry.roles)
        person.roles = [r for r in person.roles if r.role in wanted] + [
            PersonRole(role=r) for r in sorted(wanted - person.role_names)]
        session.flush()
        for platform in platforms:
            person_id = external_id(platform, entry.handle, entry.ids)
            if person_id is None:
                continue
            identity = session.scalars(select(Identity).where(Identity.platform == platform,
                                                              Identity.external_id == person_id)).first()
            if identity is None:
                session.add(Identity(person_id=person.id, platform=platform, external_id=person_id))
            else:
                identity.person_id = person.id
    session.flush()
