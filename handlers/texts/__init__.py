"""User-facing text, one module per language. ``t(lang, key, **params)`` renders one."""
from __future__ import annotations

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
