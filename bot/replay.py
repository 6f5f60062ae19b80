"""``shangliang replay``: a scripted conversation through the real handler stack, on a simulated clock.

Each JSON line is an event ``{"at", "chat", "from", "text"}`` with optional ``"id"``,
``"reply_to"`` (an earlier event's id, or ``"#12"`` for concern 12's thread) and
``"lang"``. ``"chat"`` is a chat key from the config, or ``"private"`` for the sender's
private chat with the bot. An event with only ``"at"`` just lets time pass. Scheduled
work falling between two events runs at its own time; what the bot sends is recorded by
the transcript transport, the outermost edge.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path

from handlers.messages import Incoming, Result
from storage import schedule

from .bootstrap import App
from .delivery import Delivery, File, Poll, Receipt
from .delivery.core import drain_sync

PLATFORM = "replay"


class ReplayError(ValueError):
    """A scenario line is malformed; the message names the line."""


@dataclass
class Sent:
    at: str
    to: str
    text: str
    kind: str
    concern: int | None = None
    reply_to: str | None = None
    buttons: list = field(default_factory=list)
    file: dict | None = None  # {"name", "media_type", "size"} of an attached file


class TranscriptTransport:
    """Records every message the bot sends instead of talking to a chat platform; attached
    files are written to ``files_dir`` when one is given."""

    platform = PLATFORM

    def __init__(self, app: App, files_dir: Path | None = None) -> None:
        self.app = app
        self.files_dir = files_dir
        self.sent: list[Sent] = []

    async def send(self, delivery: Delivery) -> Receipt:
        message = delivery.message
        self.sent.append(Sent(at=self.app.clock.now().astimezone(self.app.config.settings.zone).isoformat(),
                              to=delivery.target.label, text=text_of(message), kind=delivery.kind,
                              concern=delivery.concern_id, reply_to=delivery.target.reply_to,
                              buttons=[list(row) for row in getattr(message, "buttons", ())],
                              file=self._file(message)))
        return Receipt(f"out{delivery.row_id}")

    def _file(self, message) -> dict | None:
        if not isinstance(message, File):
            return None
        if self.files_dir is not None:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            (self.files_dir / message.name).write_bytes(message.content)
        return {"name": message.name, "media_type": message.media_type, "size": len(message.content)}


def text_of(message) -> str:
    """The words of any delivery: a text or edit, a file's caption, a poll's question."""
    if isinstance(message, File):
        return message.caption
    if isinstance(message, Poll):
        return message.question
    return getattr(message, "text", "")


def load_events(path: str | Path) -> list[dict]:
    try:
        lines = Path(path).read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ReplayError(f"cannot read scenario {path}: {exc}") from None
    events = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            event = json.loads(line)
            event["_at"] = datetime.fromisoformat(event["at"])
        except (json.JSONDecodeError, KeyError, ValueError, TypeError) as exc:
            raise ReplayError(f"{path}:{number}: {exc}") from None
        if event["_at"].tzinfo is None:
            raise ReplayError(f"{path}:{number}: 'at' needs a time zone, e.g. +08:00")
        if "text" in event and not {"chat", "from"} <= event.keys():
            raise ReplayError(f"{path}:{number}: a message needs 'chat' and 'from'")
        wrong = [k for k in ("text", "chat", "from", "id", "reply_to", "lang", "name", "edit")
                 if k in event and not isinstance(event[k], str)]
        if wrong:
            raise ReplayError(f"{path}:{number}: {', '.join(wrong)} must be text")
        if events and event["_at"] < events[-1]["_at"]:
            raise ReplayError(f"{path}:{number}: 'at' goes back in time (events must be in order)")
        event["_line"] = number
        events.append(event)
    return events


class Replay:
    def __init__(self, app: App, transport=None) -> None:
        self.app = app
        self.transport = transport or TranscriptTransport(app)
        self.results: list[tuple[dict, Result]] = []

    def run(self, events: list[dict]) -> list[Sent]:
        for event in events:
            self.advance(event["_at"])
            if "text" in event:
                message = self.edit(event) if "edit" in event else self.incoming(event)
                self.results.append((event, self.app.dispatcher.handle(message)))
                self.flush()
        return self.transport.sent

    def advance(self, until: datetime) -> None:
        """Let time pass to ``until``, running each scheduled job at its own due time."""
        while True:
            with self.app.sessions() as session:
                due = schedule.earliest_pending_due(session)
            if due is None or due > until:
                break
            self.app.clock.set(max(due, self.app.clock.now()))
            self.app.run_due()
            self.flush()
        self.app.clock.set(until)

    def flush(self) -> None:
        drain_sync(self.app.sessions, self.transport, self.app.clock.now(), language=self.app.config.settings.language)

    def incoming(self, event: dict) -> Incoming:
        private = event["chat"] in ("private", "私聊")
        reply_to = event.get("reply_to")
        concern = int(reply_to[1:]) if isinstance(reply_to, str) and reply_to.startswith("#") else None
        return Incoming(
            platform=PLATFORM, chat_id="@" + event["from"] if private else event["chat"], sender_id=event["from"],
            sender_name=event.get("name", event["from"]), text=event["text"], at=event["_at"],
            message_id=event.get("id") or f"L{event['_line']}", private=private, language=event.get("lang"),
            reply_to_id=None if concern is not None else reply_to, reply_to_concern=concern,
            event_id=event.get("id") or f"L{event['_line']}", media=bool(event.get("media")))

    def edit(self, event: dict) -> Incoming:
        """``{"edit": "e1", "text": …}``: the sender edits their earlier message e1."""
        original = self.incoming(event)
        return replace(original, message_id=event["edit"], edited=True)


def render_transcript(sent: list[Sent]) -> str:
    lines = []
    for item in sent:
        head = f"[{item.at[:16].replace('T', ' ')}] → {item.to}"
        if item.reply_to:
            head += f" (↩ {item.reply_to})"
        lines.append(head)
        lines.extend("    " + line for line in item.text.splitlines())
        if item.file:
            lines.append(f"    📎 {item.file['name']} ({max(1, round(item.file['size'] / 1024))} KB)")
    return "\n".join(lines)


def render_json(sent: list[Sent]) -> str:
    return "\n".join(json.dumps(asdict(item), ensure_ascii=False) for item in sent)
