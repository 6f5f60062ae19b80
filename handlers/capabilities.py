"""What each platform can do beyond plain text; adapters declare it, handlers ask.

Each adapter declares a ``PlatformCaps`` (``bot/telegram``: buttons, native polls, edits,
forum topics, …); the host collects them into one ``Capabilities`` for the handlers, which
choose a rendering from what the chat's platform can do, never from its name. A platform
with native polls gets a poll (and a stop at the deadline) next to the text card; one that
can edit messages gets its concern cards edited in place. The replay and text-only
platforms get neither and lose nothing.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from storage.models import Chat


@dataclass(frozen=True)
class PlatformCaps:
    buttons: bool = False        # buttons under a message send their command back
    native_polls: bool = False   # the platform's own polls, votes arriving as updates
    edits: bool = False          # a sent message can be edited in place
    topics: bool = False         # forum groups with one topic per concern
    quote_replies: bool = False  # a reply to a message is visible to the bot
    #: the bot may write to a person privately only after they wrote to it
    start_first: bool = False
    max_text: int = 4096


TEXT_PLATFORM = PlatformCaps()


@dataclass(frozen=True)
class Capabilities:
    platforms: Mapping[str, PlatformCaps] = field(default_factory=dict)

    def of(self, platform: str) -> PlatformCaps:
        return self.platforms.get(platform, TEXT_PLATFORM)

    def polls(self, chat: Chat) -> bool:
        return self.of(chat.platform).native_polls

    def edits_cards(self, chat: Chat) -> bool:
        return self.of(chat.platform).edits

    def needs_start(self, chat: Chat) -> bool:
        return self.of(chat.platform).start_first

    def with_platform(self, platform: str, caps: PlatformCaps) -> Capabilities:
        return Capabilities({**self.platforms, platform: caps})


TEXT_ONLY = Capabilities()
