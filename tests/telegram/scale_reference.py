"""One after another: the residents' reports through the real dispatcher, serially, on a
SQLite file, to learn which reports are one matter (folded duplicates) when nothing runs at
the same time. The scale-out run must group them the same way."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

from bot.bootstrap import bootstrap
from bot.config import load
from bot.platforms import ALL
from handlers.clock import SimulatedClock
from handlers.messages import Incoming
from storage.models import Chat, SourceMessage

from .scale_world import Report, grid_chat


def matters(folder: Path, config: Path, posted: list[tuple[Report, int]]) -> set[frozenset[tuple[int, int]]]:
    """The reports (chat, message id) that make each concern, handled in the order given."""
    app = bootstrap(load(config), clock=SimulatedClock(datetime.now(timezone.utc)), platforms=("telegram",),
                    database_url=f"sqlite:///{folder / 'reference.db'}", caps=ALL)
    try:
        for report, message_id in posted:
            app.dispatcher.handle(Incoming(
                platform="telegram", chat_id=str(grid_chat(report.grid)), sender_id=str(report.sender),
                sender_name=f"居民{report.sender}", text=report.text, at=app.clock.now(),
                message_id=str(message_id)))
        with app.sessions() as session:
            rows = session.execute(sources()).all()
    finally:
        app.close()
    return partition(rows)


def sources():
    """Each report or folded duplicate: (concern id, Telegram chat id, message id)."""
    return select(SourceMessage.concern_id, Chat.external_id, SourceMessage.external_message_id).join(
        Chat, Chat.id == SourceMessage.chat_id).where(SourceMessage.kind.in_(("report", "support")),
                                                       Chat.kind == "grid")


def partition(rows) -> set[frozenset[tuple[int, int]]]:
    """``sources()`` rows as the set of each concern's messages."""
    by_concern: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for concern_id, chat, message_id in rows:
        by_concern[concern_id].add((int(chat), int(message_id)))
    return {frozenset(ids) for ids in by_concern.values()}
