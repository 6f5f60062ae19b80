"""From an incoming message to a committed change: the command table and the dispatcher.

Each message is handled in one transaction: who and where, then the command itself together
with every outbox message it writes (a newcomer or a new private chat is first remembered in
a transaction of its own, so a refused command can still be answered). A refusal or a failure rolls the command back whole and answers in its own
transaction, so nothing is ever half-written. Commands of one person (and reports in one
grid) are serialised by the database (``storage.locks``), and an update stored in the
inbox is marked handled in the command's transaction, so a redelivered update after a
crash is not handled twice.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm import Session, sessionmaker

from storage import inbox, locks, menus, outbox, queries
from storage.models import Chat, Identity, Person

from . import cards, committee, deliberation, followup, following, intake, learning, reports, stats, poll_rules, surveys, views
from .capabilities import TEXT_ONLY, Capabilities
from .cleaning import clean
from .nlp.pipeline import Intake
from .clock import Clock
from .common import MAX_NUMBER
from .commands import Command, is_support_word, menu_choice, parse
from .context import Context, render
from .lifecycle import RULES, Refused, Role
from .privacy import mask
from .messages import Incoming, Result
from .settings import Settings

log = logging.getLogger(__name__)

Handler = Callable[[Context, str], None]
COMMANDS: dict[str, Handler] = {
    "report": intake.report, "support": intake.support, "withdraw": intake.withdraw, "comment": intake.comment,
    "claim": committee.claim, "size": committee.size, "category": committee.category,
    "deliberate": deliberation.deliberate, "vote": deliberation.vote, "decide": deliberation.decide,
    "assign": followup.assign, "handoff": followup.handoff, "escalate": followup.escalate,
    "progress": followup.progress, "resolve": followup.resolve, "reopen": followup.reopen,
    "reject": followup.reject, "convert": followup.convert, "survey": surveys.answer,
    "status": views.status, "mine": views.mine, "help": views.help_, "unknown": views.unknown,
    "edit": intake.edit, "media_only": views.media_only,
    "quorum": poll_rules.set_quorum, "passing": poll_rules.set_passing, "repoll": poll_rules.repoll,
    "follow": following.follow, "unfollow": following.unfollow, "no_menu": views.no_menu,
    "stats": stats.stats, "members": stats.members, "export": reports.export, "retrain": learning.retrain, "chart": reports.chart,
}


ATTEMPTS = 4  # a command that met a concurrent one is run again with fresh reads this often
RETRYABLE = (StaleDataError, DBAPIError)
_RETRY_STATES = {"40001", "40P01"}  # PostgreSQL: serialization failure, deadlock


def _retryable(error: Exception) -> bool:
    """A conflict with a concurrent command (not a bug): the same command may succeed now.

    A stale version, a unique row written at the same moment, a serialization failure or
    deadlock, a busy SQLite file or a dropped connection; any other integrity error is a bug.
    """
    if isinstance(error, StaleDataError):
        return True
    orig = getattr(error, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None) or ""
    if isinstance(error, IntegrityError):
        return sqlstate == "23505" or "UNIQUE constraint failed" in str(orig)
    return (sqlstate in _RETRY_STATES or sqlstate.startswith("08") or "database is locked" in str(orig)
            or bool(getattr(error, "connection_invalidated", False)))


@dataclass(frozen=True)
class Where:
    chat_id: int
    person_id: int
    private: bool
    #: the rows as just read (and committed, if anything changed): the command's first try
    #: takes them into its session without reading them again
    person: Person | None = dataclasses.field(default=None, compare=False, repr=False)
    chat: Chat | None = dataclasses.field(default=None, compare=False, repr=False)


class Dispatcher:
    """Runs one incoming message through the rules. Thread-safe; holds no per-chat state."""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings, intake: Intake,
                 clock: Clock, caps: Capabilities = TEXT_ONLY) -> None:
        self.sessions, self.settings, self.intake, self.clock = sessions, settings, intake, clock
        self.caps = caps

    def handle(self, message: Incoming) -> Result:
        message = dataclasses.replace(message, text=clean(message.text), sender_name=clean(message.sender_name))
        plain = not self.caps.of(message.platform).buttons  # people answer in words and numbers
        command = parse(message.text, self.settings.report_tags, plain=plain)
        if message.edited:
            command = Command("edit", command.args) if command is not None and command.name == "report" else None
            if command is None:
                return Result("ignored")
        elif command is None and message.media and message.private and not message.text.strip():
            command = Command("media_only")  # a picture with no words, sent to the bot itself
        elif command is None and message.private and plain and menu_choice(message.text) is not None:
            command = Command("menu", str(menu_choice(message.text)))  # "2": the last numbered menu
        is_reply = message.reply_to_id is not None or message.reply_to_concern is not None
        if command is None and (not is_reply or message.edited):
            return Result("ignored")
        where = None
        if command is not None and command.name == "menu":
            where = self._remember(message)
            if where is None:
                return self._unbound(message)
            command = self._menu(message, where, int(command.args))
        return self._run(message, command, where)

    @staticmethod
    def _unbound(message: Incoming) -> Result:
        log.info("message in unbound chat %s:%s ignored", message.platform, message.chat_id)
        return Result("unbound")

    def _menu(self, message: Incoming, where: Where, number: int) -> Command:
        """A bare number in a private chat: the command behind it in the person's last menu."""
        with self.sessions() as session:
            chosen = menus.choice(session, where.person_id, message.platform, number)
        command = parse(chosen, self.settings.report_tags) if chosen else None
        return command if command is not None else Command("no_menu", str(number))

    def _run(self, message: Incoming, command: Command | None, where: Where | None) -> Result:
        """Run the command in one serialised transaction, retried when it met another one.

        The person's lock (and, in intake, the grid's) orders commands that must not
        interleave; a conflict that still happens (two members on one concern, a unique
        row written at the same moment) is retried a few times with fresh reads, and only
        then answered "someone was handling it at the same moment". A known sender in a known
        chat is read inside that same transaction; a newcomer is remembered first, in a
        transaction of its own (see ``_enter``).
        """
        now = self.clock.now()
        name = command.name if command else None
        for attempt in range(1, ATTEMPTS + 1):
            with self.sessions() as session:
                lang = self.settings.language
                try:  # the lock and the inbox too: a busy database is a conflict to retry, not a lost update
                    where = self._enter(session, message, where)
                    if where is None:
                        return self._unbound(message)
                    if message.update_id is not None and not inbox.take(session, message.platform,
                                                                        message.update_id, now):
                        log.info("update %s:%s was handled before; skipped", message.platform, message.update_id)
                        return Result("duplicate", name)
                    ctx = self._context(session, message, where, now, reuse=attempt == 1)
                    lang = ctx.lang
                    if command is not None:
                        COMMANDS[command.name](ctx, command.args)
                    else:
                        name = self._reply_to_concern(ctx, message)
                        if name is None:
                            session.commit()  # the update is handled: nothing for the bot
                            return Result("ignored")
                    cards.refresh(ctx)
                    session.commit()
                    return Result("done", name, ctx.replies[0] if ctx.replies else None)
                except Refused as refusal:
                    session.rollback()
                    text = render(lang, refusal.key, **refusal.params)
                    private = refusal.private
                    log.info("refused %s: %s", name, refusal.key)  # never who: it may be an anonymous reporter
                except RETRYABLE as conflict:
                    session.rollback()
                    if attempt < ATTEMPTS and _retryable(conflict):
                        log.info("conflict on %s (try %d): retrying", name, attempt)
                        continue
                    if not _retryable(conflict):
                        log.exception("handling %r failed", name)
                        text = render(lang, "error.apology")
                        if message.via == "text":
                            self._answer(where, message, text, now, "error")
                        return Result("error", name, text)
                    text, private = render(lang, "refused.conflict"), False
                    log.info("conflict on %s: gave up after %d tries", name, attempt)
                except Exception:
                    session.rollback()
                    log.exception("handling %r failed", name)
                    text = render(lang, "error.apology")
                    if message.via == "text":
                        self._answer(where, message, text, now, "error")
                    return Result("error", name, text)
            break
        if message.via == "text":  # a button's or poll's refusal is shown by the platform
            self._answer(where, message, text, now, "refused", private=private)
        return Result("refused", name, text)

    def _reply_to_concern(self, ctx: Context, message: Incoming) -> str | None:
        """A reply to a concern's message: "+1" supports it, anything else is a comment."""
        number = message.reply_to_concern
        if number is None and message.reply_to_id is not None:
            link = queries.concern_for_message(ctx.session, ctx.chat.id, message.reply_to_id)
            number = link.concern_id if link else None
        concern = queries.concern(ctx.session, number, lock=True) if number is not None and number <= MAX_NUMBER else None
        if concern is None:
            return None
        if is_support_word(message.text):
            intake.add_support(ctx, concern)
            return "support"
        if concern.state not in RULES["comment"].sources:  # chatter under an old card: let it be
            return None
        intake.add_comment(ctx, concern, message.text, acknowledge=False)
        return "comment"

    def _enter(self, session: Session, message: Incoming, where: Where | None) -> Where | None:
        """Open the command's serialised transaction and say who and where; None: an unbound chat.

        The usual case, a known sender in a known chat, costs no transaction of its own: the
        sender and chat are read inside this one (on SQLite after ``BEGIN IMMEDIATE``; on
        PostgreSQL before the person's lock, as nothing in them bears on counts). Only a
        newcomer, a new private chat or a chat to reopen is first remembered and committed by
        ``_remember``, so that a refused command still leaves them known and answerable.
        """
        if where is None:
            locks.begin(session)
            where = self._known(session, message)
            if where is not None:
                locks.hold(session, (locks.PERSON, where.person_id))
                return where
            session.rollback()
            where = self._remember(message)
            if where is None:
                return None
        locks.begin(session, (locks.PERSON, where.person_id))
        return where

    def _known(self, session: Session, message: Incoming) -> Where | None:
        """The sender and chat if both are known and nothing about them needs remembering first."""
        found = queries.sender_in_chat(session, message.platform, message.chat_id, message.sender_id)
        if found is None:
            return None
        chat, person = found
        if chat.unreachable_since is not None and message.via == "text":
            return None
        if message.language:
            person.language = "en" if message.language.lower().startswith("en") else "zh"
        return Where(chat.id, person.id, chat.kind == "private", person, chat)

    def _remember(self, message: Incoming) -> Where | None:
        try:
            return self._where(message)
        except IntegrityError:  # two first messages from one new person at once: look again
            return self._where(message)

    def _context(self, session: Session, message: Incoming, where: Where, now, *, reuse: bool) -> Context:
        """The command's context. On the first try the person and chat already read are taken
        in as they are (no second read: nothing a concurrent command changes in them bears on
        counts, which are read under the locks); a retry reads them afresh."""
        if reuse and where.person is not None and where.chat is not None:
            if where.person in session and where.chat in session:  # read by _known in this transaction
                actor, chat = where.person, where.chat
            else:
                actor, chat = session.merge(where.person, load=False), session.merge(where.chat, load=False)
        else:
            actor, chat = session.get(Person, where.person_id), session.get(Chat, where.chat_id)
        return Context(session=session, settings=self.settings, intake=self.intake, now=now, actor=actor,
                       role=Role.of(actor.role_names), chat=chat, incoming=message, caps=self.caps)

    def _answer(self, where: Where | None, message: Incoming, text: str, now, status: str, *,
                private: bool = False) -> None:
        """Queue a refusal or apology; if even that fails (database down), log it and go on.

        The text is masked (a refusal may quote what was typed, and only the coordinators'
        own chats see numbers whole); ``private`` sends it to the sender's private chat.
        """
        text = mask(text)
        try:
            where = where or self._remember(message)  # the failure came before who and where were read
            if where is None:
                return
            with self.sessions() as session:
                if message.update_id is not None and not inbox.take(session, message.platform,
                                                                    message.update_id, now):
                    return  # answered before a restart: not twice
                if private and not where.private:
                    outbox.enqueue(session, kind=f"reply:{status}", text=text, now=now, platform=message.platform,
                                   person_id=where.person_id)
                else:
                    outbox.enqueue(session, kind=f"reply:{status}", text=text,
                                   now=now, platform=message.platform, chat_id=where.chat_id,
                                   reply_to_external_id=message.message_id)
                session.commit()
        except Exception:
            log.exception("could not queue the %s answer", status)

    def _where(self, message: Incoming) -> Where | None:
        """Find (or, for newcomers and private chats, remember) the sender and the chat."""
        now = self.clock.now()
        with self.sessions() as session:
            chat = queries.chat_by_external(session, message.platform, message.chat_id)
            if chat is None and not message.private:
                return None
            person = queries.person_by_identity(session, message.platform, message.sender_id)
            if person is None:
                handle = message.sender_id if message.platform == "replay" else f"{message.platform}:{message.sender_id}"
                person = Person(handle=handle, display_name=message.sender_name or handle, created_at=now,
                                home_grid_id=chat.grid_id if chat is not None else None)
                session.add(person)
                session.flush()
                session.add(Identity(person_id=person.id, platform=message.platform, external_id=message.sender_id))
            if message.language:
                person.language = "en" if message.language.lower().startswith("en") else "zh"
            if chat is not None and chat.unreachable_since is not None and message.via == "text":
                chat.unreachable_since = None  # they wrote to us: the way back is open again
            if chat is None:
                chat = Chat(platform=message.platform, external_id=message.chat_id, kind="private",
                            title=person.display_name, person_id=person.id)
                session.add(chat)
                session.flush()
                identity = session.scalars(select(Identity).where(
                    Identity.platform == message.platform, Identity.external_id == message.sender_id)).one()
                identity.private_chat_id = chat.id
            session.commit()
            return Where(chat.id, person.id, chat.kind == "private", person, chat)
