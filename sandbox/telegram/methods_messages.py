"""Sending, editing and deleting messages, with Telegram's refusals."""
from __future__ import annotations

import copy
from typing import Any

from .base import Violation, api, bad
from .files import document_object, photo_sizes
from .markup import format_text, u16len
from .state import ChatState

NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message")
BUTTON_ACTIONS = ("url", "callback_data", "web_app", "login_url", "switch_inline_query",
                  "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
                  "copy_text", "callback_game", "pay")
CHAT_ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
                "upload_document", "choose_sticker", "find_location", "record_video_note",
                "upload_video_note"}


def inline_markup(markup: dict | None) -> dict | None:
    """The InlineKeyboardMarkup a message keeps (other keyboards are not part of a Message)."""
    if not markup or "inline_keyboard" not in markup:
        return None
    for row in markup["inline_keyboard"]:
        for button in row:
            if not any(action in button for action in BUTTON_ACTIONS):
                raise bad("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise bad("BUTTON_DATA_INVALID")
    return copy.deepcopy(markup) if any(markup["inline_keyboard"]) else None


def _reply(sb, state: ChatState, params: dict) -> tuple[dict | None, dict | None]:
    rp = params.get("reply_parameters")
    if rp is None:
        return None, None
    if "chat_id" in rp and sb.world.chat(rp["chat_id"]) is not state:
        raise Violation("reply_parameters.chat_id naming another chat is not supported by the sandbox")
    target = sb.world.stored(state, rp["message_id"])
    if target is None:
        if rp.get("allow_sending_without_reply"):
            return None, None
        raise bad("message to be replied not found")
    quote = None
    if "quote" in rp:
        text = target.get("text") or target.get("caption") or ""
        if rp["quote"] not in text:
            raise bad("QUOTE_TEXT_INVALID")
        position = rp.get("quote_position", u16len(text[:text.index(rp["quote"])]))
        quote = {"text": rp["quote"], "position": position, "is_manual": True}
    return sb.world.embedded(target), quote


def send(sb, state: ChatState, params: dict, **content: Any) -> dict:
    """Store a bot message in `state` honouring reply_parameters, topics and reply_markup."""
    target, quote = _reply(sb, state, params)
    thread = params.get("message_thread_id")
    if thread is None and target is not None and target.get("is_topic_message"):
        thread = target["message_thread_id"]
    extra: dict[str, Any] = {}
    if thread is not None:
        if not state.chat.get("is_forum") or thread not in state.topics:
            raise bad("message thread not found")
        extra = {"message_thread_id": thread, "is_topic_message": True}
        if target is None:  # Telegram: a topic message replies to the topic's creation message
            target = sb.world.embedded(state.messages[thread])
    markup = inline_markup(params.get("reply_markup"))
    if params.get("protect_content"):
        extra["has_protected_content"] = True
    message = sb.world.new_message(state, sb.bot_sender, **extra, reply_to_message=target,
                                   quote=quote, **content, reply_markup=markup)
    sb._sent.append((state.id, message["message_id"]))
    return copy.deepcopy(message)


@api("sendMessage")
def send_message(sb, p: dict) -> dict:
    state = sb.world.writable(p["chat_id"])
    text, entities = format_text(p["text"], p.get("parse_mode"), p.get("entities"))
    return send(sb, state, p, text=text, entities=entities or None)


def _caption(p: dict) -> dict:
    if "caption" not in p:
        return {}
    caption, entities = format_text(p["caption"], p.get("parse_mode"), p.get("caption_entities"),
                                    limit=1024, empty=None, too_long="message caption is too long")
    return {"caption": caption or None, "caption_entities": entities or None}


@api("sendDocument")
def send_document(sb, p: dict) -> dict:
    state = sb.world.writable(p["chat_id"])
    stored = sb.files.resolve(p["document"], "document")
    return send(sb, state, p, document=document_object(stored), **_caption(p))


@api("sendPhoto")
def send_photo(sb, p: dict) -> dict:
    state = sb.world.writable(p["chat_id"])
    stored = sb.files.resolve(p["photo"], "photo")
    return send(sb, state, p, photo=photo_sizes(stored), **_caption(p))


@api("sendChatAction")
def send_chat_action(sb, p: dict) -> bool:
    sb.world.writable(p["chat_id"])
    if p["action"] not in CHAT_ACTIONS:
        raise bad("wrong parameter action in request")
    return True


def _editable(sb, p: dict) -> dict:
    if "inline_message_id" in p:
        raise Violation("inline messages (inline_message_id) are not supported by the sandbox")
    if "chat_id" not in p or "message_id" not in p:
        raise bad("message identifier is not specified")
    state = sb.world.writable(p["chat_id"])
    message = sb.world.stored(state, p["message_id"])
    if message is None:
        raise bad("message to edit not found")
    if message.get("from", {}).get("id") != sb.bot["id"]:
        raise bad("message can't be edited")
    return message


def _apply(sb, message: dict, changes: dict) -> dict:
    if all(message.get(k) == v for k, v in changes.items()):
        raise bad(NOT_MODIFIED)
    for key, value in changes.items():
        if value is None:
            message.pop(key, None)
        else:
            message[key] = value
    message["edit_date"] = int(sb.world.now())
    return copy.deepcopy(message)


@api("editMessageText")
def edit_message_text(sb, p: dict) -> dict:
    message = _editable(sb, p)
    if "text" not in message:
        raise bad("there is no text in the message to edit")
    text, entities = format_text(p["text"], p.get("parse_mode"), p.get("entities"))
    return _apply(sb, message, {"text": text, "entities": entities or None,
                            "reply_markup": inline_markup(p.get("reply_markup"))})


@api("editMessageReplyMarkup")
def edit_message_reply_markup(sb, p: dict) -> dict:
    message = _editable(sb, p)
    return _apply(sb, message, {"reply_markup": inline_markup(p.get("reply_markup"))})


@api("deleteMessage")
def delete_message(sb, p: dict) -> bool:
    state = sb.world.chat(p["chat_id"])
    message = sb.world.stored(state, p["message_id"])
    if message is None:
        raise bad("message to delete not found")
    own = message.get("from", {}).get("id") == sb.bot["id"]
    if not own and state.type != "private" and state.bot_status != "administrator":
        raise bad("message can't be deleted")
    state.deleted.add(p["message_id"])
    return True
