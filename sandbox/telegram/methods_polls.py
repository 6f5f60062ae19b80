"""Polls: sendPoll, stopPoll, votes and automatic closing (open_period / close_date)."""
from __future__ import annotations

import asyncio
import copy
import time

from .base import api, bad
from .methods_messages import inline_markup, send

MESSAGE_ONLY = ("description", "description_entities", "media")  # Poll fields kept in the Message only


def poll_view(poll: dict) -> dict:
    """The Poll as a `poll` update or stopPoll answer carries it."""
    return {k: copy.deepcopy(v) for k, v in poll.items() if k not in MESSAGE_ONLY}


QUESTION_LIMIT, OPTION_LIMIT, MAX_OPTIONS = 300, 100, 12  # sendPoll in Bot API 10.0


def _check_texts(p: dict) -> list[str]:
    """The question and options as Telegram checks them, in its order and with its words.

    The Bot API server hands the poll to TDLib, which trims each text and refuses, first the
    question (``create_input_message_content``), then the options (``PollOption::get_poll_options``):
    an empty text ("Text must be non-empty"), a question over 300 characters, no options, more
    than 12, an option over 100 characters. Telegram's own servers then refuse two equal options
    with the MTProto error ``POLL_OPTION_DUPLICATE``, which the Bot API passes on as it is. The Bot
    API lower-cases the first letter of TDLib's messages: "Bad Request: text must be non-empty".
    """
    question = p["question"].strip()
    if not question:
        raise bad("text must be non-empty")
    if len(question) > QUESTION_LIMIT:
        raise bad(f"poll question length must not exceed {QUESTION_LIMIT}")
    options = [o["text"].strip() for o in p["options"]]
    if not options:
        raise bad("poll must have at least one answer option")
    if len(options) > MAX_OPTIONS:
        raise bad(f"poll can't have more than {MAX_OPTIONS} options")
    for option in options:
        if not option:
            raise bad("text must be non-empty")
        if len(option) > OPTION_LIMIT:
            raise bad(f"poll options length must not exceed {OPTION_LIMIT}")
    if len(set(options)) != len(options):
        raise bad("POLL_OPTION_DUPLICATE")
    return options


@api("sendPoll")
def send_poll(sb, p: dict) -> dict:
    state = sb.world.writable(p["chat_id"])
    options = _check_texts(p)
    kind = p.get("type", "regular")
    if kind not in ("regular", "quiz"):
        raise bad("wrong poll type specified")
    correct = p.get("correct_option_ids")
    if kind == "quiz" and (not correct or any(not 0 <= i < len(options) for i in correct)):
        raise bad("wrong correct option ids specified")
    now = int(time.time())
    if "open_period" in p and "close_date" in p:
        raise bad("can't use open_period and close_date at the same time")
    if "open_period" in p and not 5 <= p["open_period"] <= 2628000:
        raise bad("wrong open period specified")
    if "close_date" in p and not 5 <= p["close_date"] - now <= 2628000:
        raise bad("wrong close date specified")
    number = len(sb.polls) + 1
    poll = {"id": str(5420000000000000000 + number), "question": p["question"].strip(),
            "options": [{"persistent_id": f"opt{i}-{number}", "text": text, "voter_count": 0}
                        for i, text in enumerate(options)],
            "total_voter_count": 0, "is_closed": bool(p.get("is_closed", False)),
            "is_anonymous": p.get("is_anonymous", True), "type": kind,
            "allows_multiple_answers": p.get("allows_multiple_answers", False),
            "allows_revoting": p.get("allows_revoting", kind == "regular"), "members_only": False}
    if correct:
        poll["correct_option_ids"] = correct
    if "explanation" in p:
        poll["explanation"] = p["explanation"]
    if "description" in p:
        poll["description"] = p["description"]
    if "open_period" in p:
        poll["open_period"] = p["open_period"]
        poll["close_date"] = now + p["open_period"]
    elif "close_date" in p:
        poll["close_date"] = p["close_date"]
    message = send(sb, state, p, poll=poll)
    sb.polls[poll["id"]] = poll
    sb._poll_votes[poll["id"]] = {}
    sb._poll_where[poll["id"]] = (state.id, message["message_id"])
    if "close_date" in poll and not poll["is_closed"]:
        delay = max(0.0, poll["close_date"] - time.time())
        sb._timers.append(asyncio.get_running_loop().call_later(delay, close_poll, sb, poll["id"]))
    return message


def close_poll(sb, poll_id: str) -> None:
    """Close a poll and tell the bot (a `poll` update), like Telegram does for its own polls."""
    poll = sb.polls[poll_id]
    if poll["is_closed"]:
        return
    poll["is_closed"] = True
    sb._emit("poll", poll_view(poll))


@api("stopPoll")
def stop_poll(sb, p: dict) -> dict:
    state = sb.world.writable(p["chat_id"])
    message = sb.world.stored(state, p["message_id"])
    if message is None or "poll" not in message or message.get("from", {}).get("id") != sb.bot["id"]:
        raise bad("message with poll to stop not found")
    poll = message["poll"]
    if poll["is_closed"]:
        raise bad("poll has already been closed")
    markup = inline_markup(p.get("reply_markup"))
    if markup is None:
        message.pop("reply_markup", None)
    else:
        message["reply_markup"] = markup
    close_poll(sb, poll["id"])
    return poll_view(poll)


def apply_vote(sb, poll_id: str, user_id: int, option_ids: list[int]) -> dict:
    """Record a user's (re)vote like Telegram allows it; returns the poll."""
    if poll_id not in sb.polls:
        raise KeyError(f"unknown poll {poll_id!r}; known: {list(sb.polls)}")
    poll, votes = sb.polls[poll_id], sb._poll_votes[poll_id]
    if poll["is_closed"]:
        raise ValueError(f"poll {poll_id} is closed")
    if len(set(option_ids)) != len(option_ids) or any(not 0 <= i < len(poll["options"]) for i in option_ids):
        raise ValueError(f"invalid option ids {option_ids} for a poll with {len(poll['options'])} options")
    if len(option_ids) > 1 and not poll["allows_multiple_answers"]:
        raise ValueError(f"poll {poll_id} does not allow multiple answers")
    previous = votes.get(user_id, [])
    if previous and not poll["allows_revoting"]:
        raise ValueError(f"poll {poll_id} does not allow changing a vote (allows_revoting is false)")
    if not option_ids and not previous:
        raise ValueError(f"user {user_id} has no vote to retract in poll {poll_id}")
    for i in previous:
        poll["options"][i]["voter_count"] -= 1
    for i in option_ids:
        poll["options"][i]["voter_count"] += 1
    if option_ids:
        votes[user_id] = list(option_ids)
    else:
        votes.pop(user_id, None)
    poll["total_voter_count"] = len(votes)
    return poll
