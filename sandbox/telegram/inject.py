"""What users do (write, edit, press, vote, block), turned into validated updates for the bot."""
from __future__ import annotations

import copy

from .base import ApiError
from .markup import format_text
from .methods_chats import add_topic
from .methods_polls import apply_vote, poll_view
from .state import BOT_STATUSES, ChatState


class InjectMixin:
    """Mixed into BotApiSandbox; every update passes the spec before the bot can see it."""

    def _emit(self, kind: str, payload: dict) -> dict:
        update = {"update_id": self.hub.next_id, kind: copy.deepcopy(payload)}
        errors = self.spec.check(update, ["Update"], "Update")
        if errors:
            self.errors.append(f"sandbox built an invalid {kind} update: " + "; ".join(errors[:5]))
            raise AssertionError(f"sandbox: invalid {kind} update not queued: {errors[:5]}")
        self.hub.push(update)
        return update

    def _state(self, chat_id: int) -> ChatState:
        if chat_id not in self.world.chats:
            raise KeyError(f"unknown chat {chat_id}: call add_chat({chat_id}, ...) first")
        return self.world.chats[chat_id]

    def _speaker(self, chat_id: int, user_id: int) -> tuple[ChatState, dict]:
        user = self.world.user(user_id)
        if chat_id == user_id and chat_id not in self.world.chats:
            self.world.add_chat(chat_id, "private", None, False, user_id)
        state = self._state(chat_id)
        if state.type == "private":
            if user_id != chat_id:
                raise ValueError(f"user {user_id} cannot write in the private chat of {chat_id}")
            if state.bot_status == "kicked":
                raise ValueError(f"user {user_id} blocked the bot; bot_status_changed({chat_id}, 'member', ...) first")
        else:
            if state.members.get(user_id) == "kicked":
                raise ValueError(f"user {user_id} is banned from chat {chat_id}")
            if state.members.get(user_id, "left") == "left":
                state.members[user_id] = "member"
        return state, user

    def _bot_sees(self, state: ChatState, message: dict) -> bool:
        """Not in the group: nothing. Privacy mode: only commands, replies to it and mentions."""
        if state.type != "private" and state.bot_status in ("left", "kicked"):
            return False
        if state.type == "private" or not self.privacy_mode or state.bot_status == "administrator":
            return True
        if message.get("reply_to_message", {}).get("from", {}).get("id") == self.bot["id"]:
            return True
        text, username = message.get("text", ""), self.bot["username"].lower()
        for entity in message.get("entities", []):
            if entity["type"] == "bot_command" and entity["offset"] == 0:
                command = text[:entity["length"]]
                return "@" not in command or command.split("@", 1)[1].lower() == username
        return f"@{username}" in text.lower()

    @staticmethod
    def _text(text: str) -> tuple[str, list]:
        try:
            return format_text(text)
        except ApiError as exc:
            raise ValueError(f"Telegram would not accept this text: {exc.description}") from None

    def user_says(self, chat_id: int, user_id: int, text: str, *, reply_to: int | None = None,
                  thread_id: int | None = None) -> dict:
        state, user = self._speaker(chat_id, user_id)
        text, entities = self._text(text)
        target = None
        if reply_to is not None:
            stored = self.world.stored(state, reply_to)
            if stored is None:
                raise KeyError(f"no message {reply_to} in chat {chat_id} to reply to")
            target = self.world.embedded(stored)
            if thread_id is None and stored.get("is_topic_message"):
                thread_id = stored["message_thread_id"]
        extra = {}
        if thread_id is not None:
            if thread_id not in state.topics:
                raise KeyError(f"no forum topic {thread_id} in chat {chat_id}")
            extra = {"message_thread_id": thread_id, "is_topic_message": True}
            target = target or self.world.embedded(state.messages[thread_id])
        message = self.world.new_message(state, user, **extra, reply_to_message=target,
                                         text=text, entities=entities or None)
        if state.type == "private":
            state.started = True
        if self._bot_sees(state, message):
            self._emit("message", message)
        return copy.deepcopy(message)

    def user_edits(self, chat_id: int, message_id: int, text: str) -> dict:
        state = self._state(chat_id)
        message = self.world.stored(state, message_id)
        if message is None or message.get("from", {}).get("id") == self.bot["id"] or "text" not in message:
            raise ValueError(f"message {message_id} in chat {chat_id} is not a user's text message")
        message["text"], entities = self._text(text)
        message.pop("entities", None)
        if entities:
            message["entities"] = entities
        message["edit_date"] = int(self.world.now())
        if self._bot_sees(state, message):
            self._emit("edited_message", message)
        return copy.deepcopy(message)

    def press(self, chat_id: int, message_id: int, user_id: int, data: str) -> str:
        state, user = self._speaker(chat_id, user_id)
        message = self.world.stored(state, message_id)
        if message is None or message.get("from", {}).get("id") != self.bot["id"]:
            raise ValueError(f"message {message_id} in chat {chat_id} is not a message the bot sent")
        buttons = [b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]
        if not any(b.get("callback_data") == data for b in buttons):
            offered = [b.get("callback_data") for b in buttons if "callback_data" in b]
            raise ValueError(f"message {message_id} has no button with callback_data {data!r}; it has {offered}")
        query_id = str(7300000000000000000 + len(self._callbacks) + 1)
        self._callbacks[query_id] = {"answered": False, "chat_id": chat_id, "message_id": message_id}
        self._emit("callback_query", {"id": query_id, "from": user, "message": message,
                                      "chat_instance": str(abs(chat_id) * 7919 % 10**12), "data": data})
        return query_id

    def vote(self, poll_id: str, user_id: int, option_ids: list[int]) -> None:
        user = self.world.user(user_id)
        poll = apply_vote(self, poll_id, user_id, list(option_ids))
        if not poll["is_anonymous"]:
            persistent = [poll["options"][i]["persistent_id"] for i in option_ids]
            self._emit("poll_answer", {"poll_id": poll_id, "user": user, "option_ids": list(option_ids),
                                       "option_persistent_ids": persistent})
        self._emit("poll", poll_view(poll))

    def _emit_my_chat_member(self, state: ChatState, old: str, new: str, actor: dict) -> None:
        member = self.world.member_object
        self._emit("my_chat_member", {"chat": state.chat, "from": actor, "date": int(self.world.now()),
                                      "old_chat_member": member(self.bot_sender, old, self.spec.fill),
                                      "new_chat_member": member(self.bot_sender, new, self.spec.fill)})

    def bot_status_changed(self, chat_id: int, new_status: str, *, by_user: int) -> None:
        if new_status not in BOT_STATUSES:
            raise ValueError(f"new_status must be one of {BOT_STATUSES}")
        state, actor = self._state(chat_id), self.world.user(by_user)
        if state.type == "private" and (new_status not in ("member", "kicked") or by_user != chat_id):
            raise ValueError("in a private chat only its user can block ('kicked') or unblock ('member') the bot")
        old = state.bot_status
        if old == new_status:
            raise ValueError(f"the bot is already {old!r} in chat {chat_id}")
        state.bot_status = new_status
        self._emit_my_chat_member(state, old, new_status, actor)
        if state.type != "private" and old in ("left", "kicked") and new_status in ("member", "administrator"):
            state.members.setdefault(by_user, "member")
            message = self.world.new_message(state, actor, new_chat_members=[self.bot_sender])
            self._emit("message", message)

    # ---- extra world helpers ---------------------------------------------------------------
    def add_topic(self, chat_id: int, name: str, *, by_user: int | None = None, icon_color: int = 7322096) -> dict:
        """A forum topic created by a user (no update is sent for it)."""
        state = self._state(chat_id)
        if not state.chat.get("is_forum"):
            raise ValueError(f"chat {chat_id} is not a forum")
        creator = self.world.user(by_user) if by_user is not None else self.bot_sender
        try:
            return add_topic(self, state, name, icon_color, None, creator)
        except ApiError as exc:
            raise ValueError(exc.description) from None

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """A user's status in a group (member, administrator, creator, restricted, left, kicked)."""
        self.world.user(user_id)
        state = self._state(chat_id)
        if state.type == "private":
            raise ValueError("private chats have no member list")
        state.members[user_id] = status
