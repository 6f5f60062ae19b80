"""The problems a report names, from the editable table in ``handlers/data/concepts.toml``.

A word ``A+B`` names the problem when both parts appear ("出口+堵": an exit blocked).
The *main* problem is the one named first: "涨管理费…电梯也没改善" is about the fee. Some
entries name a thing or a spot rather than a fault (``objects``: 公厕, 电梯): "公厕又没水了" is
about the water, so the main problem is the first fault named, then a ``secondary`` one (a
smell, nobody answering), and the thing only when nothing else is.
"""
from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path


class Concepts:
    def __init__(self, table: dict[str, tuple[str, ...]], objects: frozenset[str] = frozenset(),
                 secondary: frozenset[str] = frozenset()) -> None:
        self.table = table
        self.objects = objects
        self.secondary = secondary
        self.estate_wide: frozenset[str] = frozenset()

    @classmethod
    def from_file(cls, path: Path | None = None) -> "Concepts":
        raw = (Path(path).read_text("utf-8") if path else
               resources.files("handlers").joinpath("data/concepts.toml").read_text("utf-8"))
        data = tomllib.loads(raw)
        table = data.get("concepts", {})
        concepts = cls({name: tuple(w.lower() for w in words) for name, words in table.items()},
                       frozenset(data.get("objects", ())), frozenset(data.get("secondary", ())))
        concepts.estate_wide = frozenset(data.get("estate_wide", ()))
        return concepts

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(p for words in self.table.values() for w in words for p in w.split("+") if len(p) >= 2)

    def positions(self, text: str) -> dict[str, int]:
        """Each problem named in ``text`` and where it is first named."""
        found: dict[str, int] = {}
        for name, words in self.table.items():
            for word in words:
                parts = word.split("+")
                if all(p in text for p in parts):
                    at = max(text.index(p) for p in parts)
                    found[name] = min(found.get(name, at), at)
        return found

    def find(self, text: str) -> frozenset[str]:
        return frozenset(self.positions(text))

    def main(self, text: str) -> str | None:
        positions = self.positions(text)
        faults = ({n: at for n, at in positions.items() if n not in self.objects and n not in self.secondary}
                  or {n: at for n, at in positions.items() if n not in self.objects} or positions)
        return min(faults, key=lambda name: (faults[name], name)) if faults else None
