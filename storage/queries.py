"""Look-ups the handlers need, each taking the caller's session (never opening its own)."""
from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from .models import (
    Assignment, Chat, Comment, Concern, Deliberation, Grid, Identity, MessageLink, Outcome, Person,
    PersonRole, ProgressNote, Support, Survey,
)

def chat_by_external(session: Session, platform: str, external_id: str) -> Chat | None:
    return session.scalars(select(Chat).where(Chat.platform == platform, Chat.external_id == external_id)).first()


def person_by_identity(session: Session, platform: str, external_id: str) -> Person | None:
    stmt = select(Person).join(Identity, Identity.person_id == Person.id).where(
        Identity.platform == platform, Identity.external_id == external_id)
    return session.scalars(stmt).first()


def sender_in_chat(session: Session, platform: str, chat_external_id: str,
                   sender_external_id: str) -> tuple[Chat, Person] | None:
    """A known chat and a known sender in it, with the sender's roles and the chat's grid, in one
    query; None when either is not known yet."""
    sender = (select(Identity.person_id)
              .where(Identity.platform == platform, Identity.external_id == sender_external_id).scalar_subquery())
    stmt = (select(Chat, Person).select_from(Chat).join(Person, Person.id == sender)
            .where(Chat.platform == platform, Chat.external_id == chat_external_id)
            .options(joinedload(Person.roles)))
    row = session.execute(stmt).unique().first()
    return (row[0], row[1]) if row is not None else None


def person_by_handle(session: Session, handle: str) -> Person | None:
    return session.scalars(select(Person).where(func.lower(Person.handle) == handle.lower())).first()


def grid_by_key_or_name(session: Session, word: str) -> Grid | None:
    return session.scalars(select(Grid).where(or_(Grid.key == word, Grid.name == word))).first()


def all_grids(session: Session) -> list[Grid]:
    return list(session.scalars(select(Grid).order_by(Grid.id)))


def chats_of_kind(session: Session, kind: str, grid_id: int | None = None) -> list[Chat]:
    stmt = select(Chat).where(Chat.kind == kind)
    if grid_id is not None:
        stmt = stmt.where(Chat.grid_id == grid_id)
    return list(session.scalars(stmt.order_by(Chat.id)))


def people_with_roles(session: Session, roles: tuple[str, ...]) -> list[Person]:
    stmt = (select(Person).join(PersonRole, PersonRole.person_id == Person.id)
            .where(PersonRole.role.in_(roles)).distinct().order_by(Person.id))
    return list(session.scalars(stmt))


def concern(session: Session, number: int, *, lock: bool = False) -> Concern | None:
    """Concern ``number``; with ``lock``, its row is locked until the transaction ends.

    Commands that change a concern lock it before they read its counts, so that two people
    acting on one concern at once queue on the row instead of colliding on its version
    (fifty supports at once on a hot concern are fifty supports, never a "try again").
    SQLite's single writer already orders them; ``FOR UPDATE`` is a no-op there.
    """
    if not lock:
        return session.get(Concern, number)
    return session.get(Concern, number, with_for_update=True, populate_existing=True)


def concern_for_message(session: Session, chat_id: int, external_message_id: str) -> MessageLink | None:
    return session.scalars(select(MessageLink).where(
        MessageLink.chat_id == chat_id, MessageLink.external_message_id == external_message_id)).first()


def support_of(session: Session, concern_id: int, person_id: int) -> Support | None:
    return session.scalars(select(Support).where(
        Support.concern_id == concern_id, Support.person_id == person_id)).first()


def support_count(session: Session, concern_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Support).where(Support.concern_id == concern_id)) or 0


def followers(session: Session, concern_id: int) -> list[Person]:
    stmt = (select(Person).join(Support, Support.person_id == Person.id)
            .where(Support.concern_id == concern_id, Support.follow.is_(True)).order_by(Support.id))
    return list(session.scalars(stmt))


def latest_deliberation(session: Session, concern_id: int) -> Deliberation | None:
    stmt = select(Deliberation).where(Deliberation.concern_id == concern_id).order_by(Deliberation.id.desc()).limit(1)
    return session.scalars(stmt).first()


def latest_outcome(session: Session, concern_id: int) -> Outcome | None:
    stmt = select(Outcome).where(Outcome.concern_id == concern_id).order_by(Outcome.id.desc()).limit(1)
    return session.scalars(stmt).first()


def active_assignment(session: Session, concern_id: int) -> Assignment | None:
    stmt = (select(Assignment).where(Assignment.concern_id == concern_id, Assignment.active.is_(True))
            .order_by(Assignment.id.desc()).limit(1))
    return session.scalars(stmt).first()


def latest_note(session: Session, concern_id: int) -> ProgressNote | None:
    stmt = select(ProgressNote).where(ProgressNote.concern_id == concern_id).order_by(ProgressNote.id.desc()).limit(1)
    return session.scalars(stmt).first()


def comment_count(session: Session, concern_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Comment).where(Comment.concern_id == concern_id)) or 0


def open_survey(session: Session, concern_id: int) -> Survey | None:
    stmt = (select(Survey).where(Survey.concern_id == concern_id, Survey.state == "open")
            .order_by(Survey.round.desc()).limit(1))
    return session.scalars(stmt).first()


def concerns_of_person(session: Session, person_id: int, limit: int = 20) -> list[tuple[Concern, str]]:
    """Concerns a person reported, supported or claimed, newest first, with how they relate."""
    supported = select(Support.concern_id).where(Support.person_id == person_id)
    stmt = (select(Concern).where(or_(Concern.reporter_id == person_id, Concern.claimed_by_id == person_id,
                                      Concern.id.in_(supported)))
            .order_by(Concern.id.desc()).limit(limit))
    rows = []
    for c in session.scalars(stmt):
        relation = "reported" if c.reporter_id == person_id else "claimed" if c.claimed_by_id == person_id else "supported"
        rows.append((c, relation))
    return rows


def reach_platform(session: Session, person_id: int) -> str | None:
    """The platform to reach a person privately on: one with a private chat first, else any."""
    stmt = (select(Identity.platform).where(Identity.person_id == person_id)
            .order_by(Identity.private_chat_id.is_(None), Identity.id.desc()).limit(1))
    return session.scalars(stmt).first()


def has_private_chat(session: Session, person_id: int, platform: str) -> bool:
    """Whether the person has written to the bot privately on ``platform``."""
    return session.scalar(select(func.count(Identity.id)).where(
        Identity.person_id == person_id, Identity.platform == platform, Identity.private_chat_id.is_not(None))) > 0


def link_of(session: Session, chat_id: int, concern_id: int, kind: str,
            deliberation_id: int | None = None) -> MessageLink | None:
    """A concern's message of one kind (topic, poll) in a chat, the latest first."""
    stmt = select(MessageLink).where(MessageLink.chat_id == chat_id, MessageLink.concern_id == concern_id,
                                     MessageLink.kind == kind)
    if deliberation_id is not None:
        stmt = stmt.where(MessageLink.deliberation_id == deliberation_id)
    return session.scalars(stmt.order_by(MessageLink.id.desc()).limit(1)).first()


def deliberation_by_poll(session: Session, external_poll_id: str) -> Deliberation | None:
    return session.scalars(select(Deliberation).where(Deliberation.external_poll_id == external_poll_id)).first()


def mark_chat(session: Session, platform: str, external_id: str, *, forum: bool | None = None,
              unreachable_since=False) -> None:
    """Record what a platform told us about a chat (a forum; the bot removed or back)."""
    chat = chat_by_external(session, platform, external_id)
    if chat is None:
        return
    if forum is not None:
        chat.forum = forum
    if unreachable_since is not False:
        chat.unreachable_since = unreachable_since
