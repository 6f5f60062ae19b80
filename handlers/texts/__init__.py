"""User-facing text, one module per language. ``t(lang, key, **params)`` renders one."""
from __future__ import annotations

from dataclasses import dataclass, field

from . import en, zh

LANGUAGES = {"zh": zh, "en": en}


def t(lang: str | None, key: str, **params: object) -> str:
    """The text for ``key`` in ``lang`` (Chinese when the language or key is missing)."""
    table = LANGUAGES.get(lang or "zh", zh).TEXTS
    template = table.get(key) or zh.TEXTS[key]
    return template.format(**params)


def word(lang: str | None, group: str, value: str) -> str:
    """A localised name: ``word("zh", "state", "claimed") == "已接单"``."""
    module = LANGUAGES.get(lang or "zh", zh)
    return getattr(module, group.upper() + "S").get(value, value)


@dataclass(frozen=True)
class Word:
    """A value rendered in the recipient's language (a state, size, rating or role name)."""

    group: str
    value: str


@dataclass(frozen=True)
class Lazy:
    """A piece of text rendered in the recipient's language when the message is rendered."""

    key: str
    params: dict = field(default_factory=dict)

    @classmethod
    def of(cls, key: str, **params: object) -> "Lazy":
        return cls(key, params)


def render(lang: str | None, key: str, **params: object) -> str:
    """``t`` with ``Word`` and ``Lazy`` parameters resolved in the same language."""
    return t(lang, key, **{k: resolve(lang, v) for k, v in params.items()})


def resolve(lang: str | None, value: object) -> object:
    if isinstance(value, Word):
        return word(lang, value.group, value.value)
    if isinstance(value, Lazy):
        return render(lang, value.key, **value.params)
    return value
