"""Chats: getChat, members, forum topics, leaving, and answering callback queries."""
from __future__ import annotations

import copy

from .base import api, bad, forbidden

TOPIC_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)


def _visible(sb, chat_id):
    state = sb.world.chat(chat_id)
    if state.type != "private" and state.bot_status in ("left", "kicked"):
        raise forbidden("bot was kicked from the group chat")
    return state


@api("getChat")
def get_chat(sb, p: dict) -> dict:
    state = _visible(sb, p["chat_id"])
    return {**copy.deepcopy(state.chat), "accent_color_id": 0, "max_reaction_count": 11,
            "accepted_gift_types": sb.spec.fill("AcceptedGiftTypes", {}, False)}


def member_status(sb, state, user_id: int) -> str:
    if user_id == sb.bot["id"]:
        return state.bot_status
    if user_id not in sb.world.users:
        raise bad("user not found")
    if state.type == "private":
        return "member" if user_id == state.id else "left"
    return state.members.get(user_id, "left")


@api("getChatMember")
def get_chat_member(sb, p: dict) -> dict:
    state = _visible(sb, p["chat_id"])
    status = member_status(sb, state, p["user_id"])
    user = sb.bot_sender if p["user_id"] == sb.bot["id"] else sb.world.users[p["user_id"]]
    return sb.world.member_object(user, status, sb.spec.fill)


@api("getChatAdministrators")
def get_chat_administrators(sb, p: dict) -> list:
    state = _visible(sb, p["chat_id"])
    if state.type == "private":
        raise bad("there are no administrators in the private chat")
    admins = [sb.world.member_object(sb.world.users[uid], status, sb.spec.fill)
              for uid, status in state.members.items() if status in ("creator", "administrator")]
    if state.bot_status == "administrator" and p.get("return_bots", True):
        admins.append(sb.world.member_object(sb.bot_sender, "administrator", sb.spec.fill))
    return admins


@api("getChatMemberCount")
def get_chat_member_count(sb, p: dict) -> int:
    state = _visible(sb, p["chat_id"])
    if state.type == "private":
        return 2
    present = [s for s in state.members.values() if s not in ("left", "kicked")]
    return len(present) + (state.bot_status in ("member", "administrator"))


@api("leaveChat")
def leave_chat(sb, p: dict) -> bool:
    state = _visible(sb, p["chat_id"])
    if state.type == "private":
        raise bad("chat member status can't be changed in private chats")
    old = state.bot_status
    state.bot_status = "left"
    sb._emit_my_chat_member(state, old, "left", sb.bot_sender)
    return True


@api("createForumTopic")
def create_forum_topic(sb, p: dict) -> dict:
    state = sb.world.writable(p["chat_id"])
    if not state.chat.get("is_forum"):
        raise bad("the chat is not a forum")
    return add_topic(sb, state, p["name"], p.get("icon_color", TOPIC_COLORS[0]),
                     p.get("icon_custom_emoji_id"), sb.bot_sender)


def add_topic(sb, state, name: str, color: int, emoji: str | None, creator: dict) -> dict:
    """A forum topic and its forum_topic_created service message (whose id is the thread id)."""
    if not name.strip():
        raise bad("TOPIC_TITLE_EMPTY")
    if len(name) > 128:
        raise bad("TOPIC_TITLE_TOO_LONG")
    if color not in TOPIC_COLORS:
        raise bad("TOPIC_ICON_COLOR_INVALID")
    topic = {"name": name, "icon_color": color}
    if emoji:
        topic["icon_custom_emoji_id"] = emoji
    thread_id = state.next_message_id
    sb.world.new_message(state, creator, message_thread_id=thread_id, is_topic_message=True,
                         forum_topic_created=dict(topic))
    topic = {"message_thread_id": thread_id, **topic}
    state.topics[thread_id] = topic
    sb.topics.setdefault(state.id, []).append(copy.deepcopy(topic))
    return copy.deepcopy(topic)


@api("answerCallbackQuery")
def answer_callback_query(sb, p: dict) -> bool:
    query = sb._callbacks.get(p["callback_query_id"])
    if query is None or query["answered"]:
        raise bad("query is too old and response timeout expired or query ID is invalid")
    if len(p.get("text", "")) > 200:
        raise bad("MESSAGE_TOO_LONG")
    query["answered"] = True
    sb.callback_answers.append(copy.deepcopy(p))
    return True
