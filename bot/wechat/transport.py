"""The delivery core's typed messages, sent to WeChat as plain text through the puppet.

Only ``puppet.message_send_text`` is used: it sends once and returns the new message's id.
(``room.say`` fetches the sent message back afterwards; a failure there would make the outbox
send the row again although it went out.) WeChat declares no buttons, edits or polls, so:
buttons become lines naming the command to send, an ``Edit`` or ``Poll`` (not expected) goes
out as new text, a ``StopPoll`` sends nothing, a ``File`` sends its caption and a note.

A text longer than ``max_text`` goes out in parts, cut at a paragraph, else a line, else a
sentence end. Every failure becomes ``RetryLater``: the row is sent again later. The parts of
a row already sent are remembered (in this process), so a retry resumes with the part that
failed and nothing is doubled.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from ..delivery import Delivery, Edit, File, Poll, Receipt, RetryLater, StopPoll, Text

log = logging.getLogger(__name__)
PLATFORM = "wechat"
SENTENCE_ENDS = "。！？!?"
#: texts the adapter adds itself (the handlers' texts are already in the community's language)
NOTES = {
    "zh": {"command": "回复「{command}」{label}", "start": "私聊我发送「/{start}」{label}",
           "file": "（文件「{name}」暂不能在微信中发送，请在电脑端导出查看）", "option": "{n}. {text}",
           "menu": "回复数字选择："},
    "en": {"command": "reply “{command}” to {label}", "start": "write “/{start}” to me privately to {label}",
           "file": "(the file “{name}” cannot be sent on WeChat yet; export it on a computer)",
           "option": "{n}. {text}", "menu": "Reply with a number:"},
}


class WeChatTransport:
    platform = PLATFORM

    def __init__(self, puppet=None, *, max_text: int = 2000, pause: float = 1.0, retry_seconds: float = 10.0,
                 send_timeout: float = 30.0, language: str = "zh",
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if max_text < 50:
            raise ValueError("max_text must be at least 50 characters")
        self.puppet = puppet          # the runtime swaps it on a reconnect; None while disconnected
        self.max_text, self.pause, self.retry_seconds = max_text, pause, retry_seconds
        self.send_timeout = send_timeout
        self.notes = NOTES.get(language, NOTES["zh"])
        self.sleep = sleep
        self._sent_parts: dict[int, list[str]] = {}  # row id → ids of the parts already sent
        self._last_send = 0.0
        self._lock = asyncio.Lock()   # one send at a time: the pause applies across rows too

    async def send(self, delivery: Delivery) -> Receipt:
        menu = self.menu(delivery)
        text = self.render(delivery.message, menu=menu)
        if text is None:
            return Receipt()
        parts = split(text, self.max_text)
        done = self._sent_parts.setdefault(delivery.row_id, [])
        async with self._lock:
            for part in parts[len(done):]:
                done.append(await self._send_one(delivery, part))
        del self._sent_parts[delivery.row_id]
        # a numbered menu in a private chat: the person's bare "2" now means menu[1]
        return Receipt(message_id=(done[0] or None) if done else None, menu=tuple(c for c, _ in menu))

    async def _send_one(self, delivery: Delivery, text: str) -> str:
        puppet = self.puppet
        if puppet is None:
            raise RetryLater(self.retry_seconds, "not connected to WeChat")
        wait = self._last_send + self.pause - time.monotonic()
        if wait > 0:
            await self.sleep(wait)
        try:
            # a send that times out may still have gone out: the time-out only keeps the
            # delivery core from hanging on a stuck gateway
            message_id = await asyncio.wait_for(puppet.message_send_text(delivery.target.external_id, text),
                                                timeout=self.send_timeout)
        except Exception as exc:
            log.warning("outbox %s: sending failed: %s: %s", delivery.row_id,
                        type(exc).__name__, exc)
            raise RetryLater(self.retry_seconds, f"{type(exc).__name__}: {exc}") from exc
        finally:
            self._last_send = time.monotonic()
        return str(message_id) if message_id else ""

    # --- rendering ------------------------------------------------------------------------
    @staticmethod
    def menu(delivery: Delivery) -> list[tuple[str, str]]:
        """A private message's command buttons as (command, label), to be answered by number."""
        if not delivery.target.private or not isinstance(delivery.message, Text):
            return []
        return [(b["command"], str(b.get("label", "")).strip())
                for row in delivery.message.buttons or () for b in row if "command" in b]

    def render(self, message, *, menu: list[tuple[str, str]] = ()) -> str | None:
        """The text that stands for ``message`` on WeChat (None: nothing to send)."""
        if isinstance(message, Text) and menu:
            choices = [self.notes["menu"]] + [self.notes["option"].format(n=i, text=label)
                                              for i, (_, label) in enumerate(menu, 1)]
            return join(message.text, choices)
        if isinstance(message, (Text, Edit)):
            if isinstance(message, Edit):
                log.info("WeChat cannot edit messages: card sent again as text")
            return join(message.text, self.button_lines(message.buttons))
        if isinstance(message, Poll):
            log.info("WeChat has no native polls: poll sent as text")
            options = [self.notes["option"].format(n=i, text=o) for i, o in enumerate(message.options, 1)]
            return join(message.question, options)
        if isinstance(message, StopPoll):
            log.info("WeChat has no native polls: nothing to stop")
            return None
        if isinstance(message, File):
            return join(message.caption, [self.notes["file"].format(name=message.name)])
        raise TypeError(f"cannot send {type(message).__name__} on WeChat")

    def button_lines(self, rows) -> list[str]:
        lines = []
        for row in rows or ():
            for button in row:
                label = str(button.get("label", "")).strip()
                if "command" in button:
                    lines.append(self.notes["command"].format(command=button["command"], label=label).strip())
                elif "start" in button:
                    lines.append(self.notes["start"].format(start=button["start"], label=label).strip())
        return lines


def join(text: str, lines: list[str]) -> str:
    body = (text or "").rstrip()
    extra = "\n".join(lines)
    return f"{body}\n\n{extra}" if body and extra else (body or extra)


def split(text: str, limit: int) -> list[str]:
    """``text`` in parts of at most ``limit`` characters, cut where a reader would pause."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _cut(rest, limit)
        head, rest = rest[:cut].rstrip(), rest[cut:].lstrip("\n ")
        if head:
            parts.append(head)
    if rest:
        parts.append(rest)
    return parts


def _cut(text: str, limit: int) -> int:
    """Where to cut ``text`` so the first part fits: the last paragraph break, else line
    break, else sentence end in the window (if not too early), else at the limit."""
    window = text[:limit + 1]
    least = limit // 3
    for sep in ("\n\n", "\n"):
        at = window.rfind(sep, 0, limit)
        if at >= least:
            return at + len(sep)
    ends = [window.rfind(c, 0, limit) for c in SENTENCE_ENDS]
    at = max(ends)
    if at >= least:
        return at + 1
    return limit
