"""What every handler receives: the session, the actor, the clock, and ways to speak.

Handlers never send. ``reply``/``inform``/``to_*`` write outbox rows in the handler's own
transaction, rendered in each recipient's language. Personal numbers are masked in every text
that leaves the coordinators' own chats, whoever typed them: only the coordinators' group and
a coordinator in private read them whole (``sees_whole``). Group-bound text never names an
anonymous reporter.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

from sqlalchemy.orm import Session

from storage import outbox, queries
from storage.models import AuditEntry, Chat, Concern, Person

from .capabilities import TEXT_ONLY, Capabilities
from .nlp.pipeline import Intake
from .lifecycle import Role
from .messages import Incoming
from .privacy import mask, summary
from .settings import Settings
from .texts import Lazy, Word, render, resolve  # noqa: F401 (Word, Lazy re-exported)

log = logging.getLogger(__name__)


def concern_params(c: Concern) -> dict[str, object]:
    """The placeholders every concern text may use.

    ``summary`` keeps the numbers (never cut inside one): the text is masked per recipient
    when it is sent, so coordinators read it whole and everyone else masked.
    """
    return dict(number=c.id, category=c.category, grid=c.grid.name, summary=summary(c.text, masked=False),
                size=Word("size", c.size), state=Word("state", c.state), location=c.location or "—")


def sees_whole(session: Session, chat: Chat | None = None, person: Person | None = None) -> bool:
    """Whether a text for ``chat`` (or privately for ``person``) may keep personal numbers.

    Only the coordinators' group and a coordinator (or admin) in private; every other chat
    and person gets them masked. A private chat stands for the person it belongs to.
    """
    if chat is not None:
        if chat.kind == "coordinators":
            return True
        if chat.kind != "private":
            return False
        if person is None and chat.person_id is not None:
            person = session.get(Person, chat.person_id)
    return person is not None and Role.of(person.role_names) >= Role.COORDINATOR


def format_local(at: datetime, settings: Settings) -> str:
    return at.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")


@dataclass
class Context:
    session: Session
    settings: Settings
    intake: Intake
    now: datetime
    actor: Person | None = None
    role: Role = Role.SYSTEM
    chat: Chat | None = None
    incoming: Incoming | None = None
    caps: Capabilities = TEXT_ONLY
    replies: list[str] = field(default_factory=list)
    answered_here: bool = False  # whether an answer was posted in the chat the actor wrote in
    touched: set[int] = field(default_factory=set)  # concerns whose cards need refreshing

    def touch(self, concern: Concern) -> None:
        self.touched.add(concern.id)

    @property
    def quiet(self) -> bool:
        """A button press or a native poll vote: the platform shows the answer itself."""
        return self.incoming is not None and self.incoming.via != "text"

    @property
    def lang(self) -> str:
        if self.actor is not None:
            return self.actor.language
        return self.settings.language

    def local(self, at: datetime) -> str:
        return format_local(at, self.settings)

    # --- speaking -------------------------------------------------------------------
    def reply(self, key: str, *, concern: Concern | None = None, buttons: Iterable = (), private: bool = False,
              payload: dict | None = None, **params: object) -> None:
        """Answer the sender where they wrote, quoting their message.

        ``private`` answers in the sender's private chat instead (used when an answer in a
        group would point at an anonymous reporter).
        """
        self.reply_text(render(self.lang, key, **params), concern=concern, buttons=buttons, private=private,
                        kind=f"reply:{key}", payload=payload)

    def reply_text(self, text: str, *, concern: Concern | None = None, buttons: Iterable = (),
                   private: bool = False, kind: str = "reply:view", payload: dict | None = None) -> None:
        """Answer the sender with text already rendered in their language.

        A quiet request (button, poll vote) gets its answer from the adapter (a toast), not
        as a message.
        """
        if self.chat is None or self.actor is None or self.quiet:
            # a quiet answer is shown to the actor by the platform (a toast): masked like a private one
            self.replies.append(text if self.actor is None else self.mask_for_person(self.actor, text))
            self.answered_here = self.quiet
            return
        if private and self.chat.kind != "private":
            self.replies.append(self.mask_for_person(self.actor, text))
            self._send_person(self.actor, kind, text, concern, buttons, None, payload)
            return
        whole = sees_whole(self.session, self.chat, self.actor if self.chat.kind == "private" else None)
        text = text if whole else mask(text)
        self.replies.append(text)
        self.answered_here = True
        outbox.enqueue(self.session, kind=kind, text=text, now=self.now, platform=self.chat.platform,
                       chat_id=self.chat.id, concern_id=concern.id if concern else None,
                       buttons=self.render_buttons(self.lang, buttons, masked=not whole), payload=payload,
                       reply_to_external_id=self.incoming.message_id if self.incoming else None)

    def discreet(self, concern: Concern) -> bool:
        """Whether answering this actor about ``concern`` in this chat would unmask its reporter."""
        return (concern.anonymous and self.actor is not None and concern.reporter_id == self.actor.id
                and self.chat is not None and self.chat.kind != "private")

    def to_chat(self, chat: Chat, key: str, *, concern: Concern | None = None, buttons: Iterable = (),
                dedupe_key: str | None = None, payload: dict | None = None, **params: object) -> None:
        lang = self.settings.language
        whole = sees_whole(self.session, chat)
        text = render(lang, key, **params)
        outbox.enqueue(self.session, kind=key, text=text if whole else mask(text), now=self.now,
                       platform=chat.platform, chat_id=chat.id, concern_id=concern.id if concern else None,
                       buttons=self.render_buttons(lang, buttons, masked=not whole), dedupe_key=dedupe_key,
                       payload=payload)

    def to_person(self, person: Person, key: str, *, concern: Concern | None = None, buttons: Iterable = (),
                  dedupe_key: str | None = None, **params: object) -> None:
        self._send_person(person, key, render(person.language, key, **params), concern, buttons, dedupe_key)

    def _send_person(self, person: Person, kind: str, text: str, concern: Concern | None, buttons: Iterable,
                     dedupe_key: str | None, payload: dict | None = None) -> None:
        """A private message: masked unless ``person`` is a coordinator."""
        platform = queries.reach_platform(self.session, person.id)
        if platform is None:
            log.warning("person %s has no platform identity; %s not sent", person.id, kind)
            return
        whole = sees_whole(self.session, person=person)
        outbox.enqueue(self.session, kind=kind, text=text if whole else mask(text), now=self.now, platform=platform,
                       person_id=person.id, concern_id=concern.id if concern else None,
                       buttons=self.render_buttons(person.language, buttons, masked=not whole),
                       dedupe_key=dedupe_key, payload=payload)

    def to_grid(self, concern: Concern, key: str, *, skip_chat: bool = True, **params: object) -> None:
        """Post to the concern's grid group(s), except the chat the actor was just answered in."""
        for chat in queries.chats_of_kind(self.session, "grid", concern.grid_id):
            if skip_chat and self._answered_in(chat):
                continue
            self.to_chat(chat, key, concern=concern, **params)

    def to_committee(self, key: str, *, concern: Concern | None = None, skip_chat: bool = True,
                     buttons: Iterable = (), payload: dict | None = None, **params: object) -> None:
        for chat in queries.chats_of_kind(self.session, "committee"):
            if skip_chat and self._answered_in(chat):
                continue
            self.to_chat(chat, key, concern=concern, buttons=buttons, payload=payload, **params)

    def to_coordinators(self, key: str, *, concern: Concern | None = None, **params: object) -> None:
        """The coordinators' group if there is one, otherwise each coordinator privately."""
        chats = queries.chats_of_kind(self.session, "coordinators")
        for chat in chats:
            self.to_chat(chat, key, concern=concern, **params)
        if not chats:
            for person in queries.people_with_roles(self.session, ("coordinator",)):
                self.to_person(person, key, concern=concern, **params)

    def inform(self, concern: Concern, key: str, **params: object) -> None:
        """全面反馈: the grid group, the reporter privately and every follower privately.

        The actor (who already has a reply) is not told twice.
        """
        self.to_grid(concern, key, **params)
        told = {self.actor.id} if self.actor is not None and self.replies else set()
        for person in [concern.reporter, *queries.followers(self.session, concern.id)]:
            if person.id not in told:
                told.add(person.id)
                self.to_person(person, key, concern=concern, **params)

    def _answered_in(self, chat: Chat) -> bool:
        return self.answered_here and self.chat is not None and chat.id == self.chat.id

    def mask_for(self, chat: Chat, text: str) -> str:
        """Text bound for ``chat``, masked unless the chat may read it whole (``sees_whole``),
        whoever typed the numbers into it."""
        return text if sees_whole(self.session, chat) else mask(text)

    def mask_for_person(self, person: Person, text: str) -> str:
        """Text bound for ``person`` privately, masked unless they are a coordinator."""
        return text if sees_whole(self.session, person=person) else mask(text)

    @staticmethod
    def render_buttons(lang: str | None, rows: Iterable, *, masked: bool = False) -> list:
        """Button rows with their labels rendered in the recipient's language (and masked:
        a poll option's label is whatever a member typed)."""
        def label(b: dict) -> str:
            text = resolve(lang, b["label"])
            return mask(text) if masked and isinstance(text, str) else text
        return [[{**b, "label": label(b)} for b in row] for row in rows]

    # --- record keeping -------------------------------------------------------------
    def audit(self, concern: Concern | None, action: str, from_state: str | None = None,
              to_state: str | None = None, **detail: object) -> None:
        self.session.add(AuditEntry(concern_id=concern.id if concern else None,
                                    actor_id=self.actor.id if self.actor else None, action=action,
                                    from_state=from_state, to_state=to_state, detail=dict(detail), at=self.now))
