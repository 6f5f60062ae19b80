"""What each platform can do beyond plain text; adapters declare it, handlers ask.

A platform with native polls gets a poll (and a stop at the deadline) next to the text
card; a platform that can edit messages gets its concern cards edited in place as the
concern changes. The replay and text-only platforms get neither and lose nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from storage.models import Chat


@dataclass(frozen=True)
class Capabilities:
    native_polls: frozenset[str] = frozenset()
    edits: frozenset[str] = frozenset()
    #: platforms where the bot may write to a person privately only after they wrote to it
    start_first: frozenset[str] = frozenset()

    def polls(self, chat: Chat) -> bool:
        return chat.platform in self.native_polls

    def edits_cards(self, chat: Chat) -> bool:
        return chat.platform in self.edits

    def needs_start(self, chat: Chat) -> bool:
        return chat.platform in self.start_first


TEXT_ONLY = Capabilities()
