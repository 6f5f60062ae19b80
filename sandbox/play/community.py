"""The playground's community: the example config's grids, chats and people, bound to
made-up Telegram and WeChat ids on the local stand-ins, and its personas for the page."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from bot.config import AppConfig, load

ROOT = Path(__file__).resolve().parents[2]  # the source checkout
DEFAULT_CONFIG = ROOT / "config.example.toml"
SAMPLE = ROOT / "examples" / "week-in-a-grid.jsonl"
ROLE_LABELS = {"resident": "居民", "member": "委员", "coordinator": "召集人"}
FIRST_USER_ID = 10001           # Telegram user ids of the people, in config order
FIRST_GROUP_ID = -1001000000001  # Telegram supergroup ids of the chats, going down


@dataclass(frozen=True)
class Persona:
    handle: str
    name: str
    role: str          # resident / member / coordinator (the highest of their roles)
    grid: str | None   # the grid's name, for residents
    telegram_id: int
    wechat_id: str

    def view(self) -> dict:
        return {"handle": self.handle, "name": self.name, "role": self.role,
                "role_label": ROLE_LABELS.get(self.role, self.role), "grid": self.grid}


@dataclass(frozen=True)
class PlayChat:
    key: str
    kind: str           # grid / committee / coordinators
    title: str
    telegram_id: int
    wechat_id: str
    members: tuple[str, ...]  # handles of who is in it (WeChat rooms need a member list)


@dataclass(frozen=True)
class Community:
    config: AppConfig
    personas: tuple[Persona, ...]
    chats: tuple[PlayChat, ...]

    def persona(self, handle: str) -> Persona:
        for persona in self.personas:
            if persona.handle == handle:
                return persona
        raise LookupError(handle)

    def chat(self, key: str) -> PlayChat:
        for chat in self.chats:
            if chat.key == key:
                return chat
        raise LookupError(key)


def _role(roles: tuple[str, ...]) -> str:
    for role in ("coordinator", "member"):
        if role in roles:
            return role
    return "resident"


def _members(kind: str, grid: str | None, people) -> tuple[str, ...]:
    """Who sits in a chat: a grid's residents and every member; the committee; the coordinators."""
    if kind == "grid":
        return tuple(p.handle for p in people if _role(p.roles) != "resident" or p.grid == grid)
    if kind == "committee":
        return tuple(p.handle for p in people if _role(p.roles) != "resident")
    return tuple(p.handle for p in people if _role(p.roles) == "coordinator")


def build(config_path: Path, database_url: str) -> Community:
    """The config at ``config_path`` with every chat and person bound to playground ids, on
    ``database_url``, with no rate limit (the local Bot API server has none)."""
    config = load(config_path, environ={})
    directory = config.directory
    grid_names = {g.key: g.name for g in directory.grids}
    people, personas = [], []
    for i, person in enumerate(directory.people):
        tg, wx = FIRST_USER_ID + i, f"wxid_{person.handle}"
        people.append(dataclasses.replace(person, ids={**person.ids, "telegram": str(tg), "wechat": wx}))
        personas.append(Persona(person.handle, person.name, _role(person.roles),
                                grid_names.get(person.grid) if person.grid else None, tg, wx))
    chats, play_chats = [], []
    for i, chat in enumerate(directory.chats):
        tg, wx = FIRST_GROUP_ID - i, f"{chat.key}@chatroom"
        chats.append(dataclasses.replace(chat, ids={**chat.ids, "telegram": str(tg), "wechat": wx}))
        play_chats.append(PlayChat(chat.key, chat.kind, chat.title or chat.key, tg, wx,
                                   _members(chat.kind, chat.grid, directory.people)))
    homes = {p.grid for p in directory.people if p.grid}
    play_chats = [c for c in play_chats if c.kind != "grid" or any(  # a grid nobody lives in stays off the page
        ch.key == c.key and ch.grid in homes for ch in directory.chats)]
    order = {"grid": 0, "committee": 1, "coordinators": 2}
    play_chats.sort(key=lambda c: order.get(c.kind, 3))
    config = dataclasses.replace(
        config, database_url=database_url,
        directory=dataclasses.replace(directory, people=tuple(people), chats=tuple(chats)),
        telegram=dataclasses.replace(config.telegram, rate_limit=False, webhook_url=None))
    return Community(config, tuple(personas), tuple(play_chats))
