"""An in-memory wechaty puppet: rooms, contacts and messages in dicts, driven by the tests.

It subclasses wechaty-puppet's ``Puppet`` and behaves as ``PuppetService`` does where the
adapter can tell: ``start()`` emits ``login`` and then blocks until ``stop()`` (or until the
test drops the stream), events go through a pyee ``AsyncIOEventEmitter`` (async listeners run
as tasks), ``stop()`` removes every listener. Use it with the real ``wechaty.Wechaty``.

A test injects what users say (``say_in_room``, ``say_privately``; each message gets a unique
id unless one is given, because wechaty drops ids it has seen anywhere in the process),
redelivers a message (``redeliver``), reads what the bot sent (``sent``), makes sends fail
(``fail_next_sends``) and makes the start fail or hang (``start_error``, ``hang``).
"""
from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import List, Optional

from pyee.asyncio import AsyncIOEventEmitter
from wechaty_puppet import Puppet
from wechaty_puppet.schemas.event import EventLoginPayload, EventLogoutPayload, EventMessagePayload
from wechaty_puppet.schemas.puppet import PuppetOptions
from wechaty_puppet.schemas.types import (ContactPayload, ContactType, MessagePayload, MessageType, RoomMemberPayload,
                                          RoomPayload)

AT = "\u2005"


@dataclass(frozen=True)
class Sent:
    conversation_id: str
    text: str
    message_id: str


class SendFailed(ConnectionError):
    """What ``fail_next_sends`` makes ``message_send_text`` raise (a lost gateway, say)."""


class MemoryPuppet(Puppet):
    def __init__(self, *, self_id: str = "wxid_bot", self_name: str = "商量助手", login: bool = True,
                 start_error: BaseException | None = None, hang: bool = False, echo_sent: bool = True,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(PuppetOptions(), name="memory")
        self._self_id, self.self_name = self_id, self_name
        self.login_on_start, self.start_error, self.hang = login, start_error, hang
        self.echo_sent = echo_sent   # real puppets report the bot's own sends as message events
        self.clock = clock
        self.events = AsyncIOEventEmitter()
        self.contacts: dict[str, ContactPayload] = {}
        self.rooms: dict[str, RoomPayload] = {}
        self.aliases: dict[tuple[str, str], str] = {}   # (room, contact) → alias in that room
        self.messages: dict[str, MessagePayload] = {}
        self.sent: list[Sent] = []
        self.logged_in = False
        self.starts = 0
        self._prefix = uuid.uuid4().hex[:8]
        self._ids = itertools.count(1)
        self._failures: list[BaseException] = []
        self._stopped = asyncio.Event()
        self._dropped: BaseException | None = None
        self.add_contact(self_id, self_name)

    # --- what a test does -----------------------------------------------------------------
    def add_contact(self, contact_id: str, name: str) -> None:
        self.contacts[contact_id] = ContactPayload(id=contact_id, name=name, type=ContactType.CONTACT_TYPE_PERSONAL,
                                                   friend=True)

    def add_room(self, room_id: str, topic: str, member_ids: list[str]) -> None:
        members = list(dict.fromkeys([self._self_id, *member_ids]))
        self.rooms[room_id] = RoomPayload(id=room_id, topic=topic, member_ids=members)

    def set_alias(self, room_id: str, contact_id: str, alias: str) -> None:
        self.aliases[(room_id, contact_id)] = alias

    def say_in_room(self, room_id: str, contact_id: str, text: str, *, mention_bot: bool = False,
                    message_id: str | None = None, kind: MessageType = MessageType.MESSAGE_TYPE_TEXT) -> str:
        """``contact_id`` writes ``text`` in the room (with ``mention_bot``: "@<bot> text")."""
        if room_id not in self.rooms:
            raise KeyError(f"no room {room_id}")
        mentions = []
        if mention_bot:
            text = f"@{self.aliases.get((room_id, self._self_id), self.self_name)}{AT}{text}"
            mentions = [self._self_id]
        return self._arrive(MessagePayload(id=message_id or self.new_id(), text=text, timestamp=int(self.clock()),
                                           type=kind, from_id=contact_id, room_id=room_id, mention_ids=mentions))

    def say_privately(self, contact_id: str, text: str, *, message_id: str | None = None,
                      kind: MessageType = MessageType.MESSAGE_TYPE_TEXT) -> str:
        return self._arrive(MessagePayload(id=message_id or self.new_id(), text=text, timestamp=int(self.clock()),
                                           type=kind, from_id=contact_id, to_id=self._self_id))

    def redeliver(self, message_id: str) -> None:
        """The gateway sends the same message event again."""
        self.events.emit("message", EventMessagePayload(message_id=message_id))

    def fail_next_sends(self, count: int, error: BaseException | None = None) -> None:
        self._failures.extend(error or SendFailed("gateway unreachable") for _ in range(count))

    def drop_stream(self, error: BaseException | None = None) -> None:
        """The event stream ends (with ``error``, or normally): ``start()`` returns or raises."""
        self._dropped = error or EOFError("stream closed")
        self.logged_in = False
        self._stopped.set()

    def sent_to(self, conversation_id: str) -> list[str]:
        return [s.text for s in self.sent if s.conversation_id == conversation_id]

    def new_id(self) -> str:
        return f"m-{self._prefix}-{next(self._ids)}"

    def _arrive(self, payload: MessagePayload) -> str:
        self.messages[payload.id] = payload
        self.events.emit("message", EventMessagePayload(message_id=payload.id))
        return payload.id

    # --- the Puppet interface wechaty uses ------------------------------------------------
    def on(self, event_name: str, caller) -> None:
        self.events.on(event_name, caller)

    def listener_count(self, event_name: str) -> int:
        return len(self.events.listeners(event_name))

    async def start(self) -> None:
        self.starts += 1
        self._stopped = asyncio.Event()
        self._dropped = None
        if self.start_error is not None:
            raise self.start_error
        if not self.hang and self.login_on_start:
            self.logged_in = True
            self.events.emit("login", EventLoginPayload(contact_id=self._self_id))
        await self._stopped.wait()  # like PuppetService: returns when the stream ends
        if isinstance(self._dropped, Exception) and not isinstance(self._dropped, EOFError):
            raise self._dropped

    async def stop(self) -> None:
        self.events.remove_all_listeners()
        self.logged_in = False
        self._stopped.set()

    async def logout(self) -> None:
        self.logged_in = False
        self.events.emit("logout", EventLogoutPayload(contact_id=self._self_id, data="logout"))

    def self_id(self) -> str:
        return self._self_id

    async def ding(self, data: Optional[str] = None) -> None:
        self.events.emit("dong", data)

    async def message_send_text(self, conversation_id: str, message: str,
                                mention_ids: Optional[List[str]] = None) -> str:
        if self._failures:
            raise self._failures.pop(0)
        if not self.logged_in:
            raise SendFailed("not logged in")
        if conversation_id not in self.rooms and conversation_id not in self.contacts:
            raise SendFailed(f"unknown conversation {conversation_id}")
        message_id = self.new_id()
        self.sent.append(Sent(conversation_id, message, message_id))
        room = conversation_id if conversation_id in self.rooms else ""
        payload = MessagePayload(id=message_id, text=message, timestamp=int(self.clock()),
                                 type=MessageType.MESSAGE_TYPE_TEXT, from_id=self._self_id, room_id=room,
                                 to_id="" if room else conversation_id)
        self.messages[message_id] = payload
        if self.echo_sent:
            self.events.emit("message", EventMessagePayload(message_id=message_id))
        return message_id

    async def message_payload(self, message_id: str) -> MessagePayload:
        return self.messages[message_id]

    async def contact_payload(self, contact_id: str) -> ContactPayload:
        if contact_id not in self.contacts:  # a stranger: WeChat still knows a name
            self.add_contact(contact_id, contact_id)
        return self.contacts[contact_id]

    async def contact_list(self) -> List[str]:
        return list(self.contacts)

    async def room_list(self) -> List[str]:
        return list(self.rooms)

    async def room_payload(self, room_id: str) -> RoomPayload:
        return self.rooms[room_id]

    async def room_members(self, room_id: str) -> List[str]:
        return list(self.rooms[room_id].member_ids)

    async def room_member_payload(self, room_id: str, contact_id: str) -> RoomMemberPayload:
        contact = await self.contact_payload(contact_id)
        return RoomMemberPayload(id=contact_id, name=contact.name, room_alias=self.aliases.get((room_id, contact_id), ""))
