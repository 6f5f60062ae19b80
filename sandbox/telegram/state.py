"""The simulated world: users, chats with their members and messages, the bot's standing in each."""
from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .base import bad, forbidden

CHAT_TYPES = ("private", "group", "supergroup")
BOT_STATUSES = ("member", "administrator", "left", "kicked")


@dataclass
class ChatState:
    chat: dict[str, Any]                      # the Chat object
    bot_status: str = "member"                # private: "member" or "kicked" (= blocked)
    started: bool = False                     # private: the user has written to the bot
    members: dict[int, str] = field(default_factory=dict)   # user id -> status
    messages: dict[int, dict] = field(default_factory=dict)  # message id -> current Message
    deleted: set[int] = field(default_factory=set)
    topics: dict[int, dict] = field(default_factory=dict)    # thread id -> ForumTopic
    next_message_id: int = 1

    @property
    def id(self) -> int:
        return self.chat["id"]

    @property
    def type(self) -> str:
        return self.chat["type"]


class World:
    def __init__(self, bot: dict[str, Any], clock: Callable[[], float] = time.time):
        self.bot = bot
        self.now = clock  # what message dates read: real time, or a playground's simulated clock
        self.users: dict[int, dict] = {}
        self.chats: dict[int, ChatState] = {}

    # ---- set-up ----------------------------------------------------------------------------
    def add_user(self, user_id: int, first_name: str, username: str | None, language_code: str | None) -> dict:
        if user_id == self.bot["id"]:
            raise ValueError(f"user id {user_id} is the bot's own id")
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        return copy.deepcopy(user)

    def user(self, user_id: int) -> dict:
        if user_id not in self.users:
            raise KeyError(f"unknown user {user_id}: call add_user({user_id}, ...) first")
        return copy.deepcopy(self.users[user_id])

    def add_chat(self, chat_id: int, type: str, title: str | None, is_forum: bool,
                 user_id: int | None) -> dict:
        if type not in CHAT_TYPES:
            raise ValueError(f"chat type must be one of {CHAT_TYPES}, not {type!r}")
        if type == "private":
            user_id = chat_id if user_id is None else user_id
            if user_id != chat_id:
                raise ValueError(f"a private chat's id is its user's id ({user_id}), not {chat_id}")
            user = self.user(user_id)
            chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            if "username" in user:
                chat["username"] = user["username"]
        else:
            if chat_id >= 0:
                raise ValueError(f"group chat ids are negative, not {chat_id}")
            chat = {"id": chat_id, "type": type, "title": title or f"Chat {chat_id}"}
            if is_forum:
                if type != "supergroup":
                    raise ValueError("only supergroups can be forums")
                chat["is_forum"] = True
        state = ChatState(chat=chat)
        if user_id is not None:
            self.user(user_id)
            state.members[user_id] = "member" if type == "private" else "creator"
        self.chats[chat_id] = state
        return copy.deepcopy(chat)

    # ---- lookups ---------------------------------------------------------------------------
    def chat(self, chat_id: Any) -> ChatState:
        """The chat a request names (id or @username), else Telegram's 400."""
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for state in self.chats.values():
                if state.type != "private" and state.chat.get("username", "").lower() == chat_id[1:].lower():
                    return state
        elif isinstance(chat_id, int) and chat_id in self.chats:
            return self.chats[chat_id]
        raise bad("chat not found")

    def writable(self, chat_id: Any) -> ChatState:
        """The chat, if the bot may post there; else the 403 Telegram gives."""
        state = self.chat(chat_id)
        if state.type == "private":
            if state.bot_status == "kicked":
                raise forbidden("bot was blocked by the user")
            if not state.started:
                raise forbidden("bot can't initiate conversation with a user")
        elif state.bot_status in ("left", "kicked"):
            raise forbidden("bot was kicked from the group chat")
        return state

    def stored(self, state: ChatState, message_id: int) -> dict | None:
        if message_id in state.deleted:
            return None
        return state.messages.get(message_id)

    # ---- messages --------------------------------------------------------------------------
    def new_message(self, state: ChatState, sender: dict | None, **content: Any) -> dict:
        """Store a message with the next id of its chat; content keys are Message fields."""
        message = {"message_id": state.next_message_id, "date": int(self.now())}
        if sender is not None:
            message["from"] = copy.deepcopy(sender)
        message["chat"] = copy.deepcopy(state.chat)
        message.update({k: v for k, v in content.items() if v is not None})
        state.messages[state.next_message_id] = message
        state.next_message_id += 1
        return message

    @staticmethod
    def embedded(message: dict) -> dict:
        """A message as it appears inside reply_to_message (one level only, like Telegram)."""
        inner = copy.deepcopy(message)
        inner.pop("reply_to_message", None)
        return inner

    def bot_member(self, status: str, spec_fill) -> dict:
        return self.member_object(self.bot, status, spec_fill)

    @staticmethod
    def member_object(user: dict, status: str, spec_fill) -> dict:
        """A ChatMember of the given status; required flags are filled from the spec."""
        base = {"status": status, "user": copy.deepcopy(user)}
        if status == "administrator":
            return spec_fill("ChatMemberAdministrator", base, True, can_be_edited=False, is_anonymous=False)
        if status == "creator":
            return {**base, "is_anonymous": False}
        if status == "kicked":
            return {**base, "until_date": 0}
        if status == "restricted":
            return spec_fill("ChatMemberRestricted", base, False, is_member=True, until_date=0)
        return base
