"""The one grid, three chats and their people that the platform tests bind, as config TOML.

``community`` writes the loader's own input (``[[grids]]``, ``[[chats]]``, ``[[people]]``)
with each chat and person bound to whatever platform ids a test gives, so the Telegram,
WeChat and mixed tests share one shape instead of three copies.
"""
from __future__ import annotations


def _value(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def _ids(ids: dict[str, object]) -> str:
    return "".join(f"{platform} = {_value(value)}\n" for platform, value in ids.items())


def community(chats: dict[str, dict[str, object]], people: list[tuple[str, str, str, dict[str, object]]]) -> str:
    """``chats``: "grid-1" / "committee" / "coordinators" → platform ids; ``people``:
    (handle, name, role, platform ids); residents live in grid-1."""
    text = '[[grids]]\nkey = "grid-1"\nname = "幸福里网格"\n'
    for key, ids in chats.items():
        grid = 'grid = "grid-1"\n' if key == "grid-1" else ""
        kind = "grid" if key == "grid-1" else key
        text += f'\n[[chats]]\nkey = "{key}"\nkind = "{kind}"\n{grid}{_ids(ids)}'
    for handle, name, role, ids in people:
        home = 'grid = "grid-1"\n' if role == "resident" else ""
        text += f'\n[[people]]\nhandle = "{handle}"\nname = "{name}"\n{_ids(ids)}roles = ["{role}"]\n{home}'
    return text
