"""Choosing a category for a report from the editable keyword lexicon.

This is the first cut of intake (issue 4 adds segmentation, Traditional script, size
hints and duplicate folding). It runs offline and explains itself: ``Guess.words`` are
the keywords that decided.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

FALLBACK = "其他"


@dataclass(frozen=True)
class Guess:
    category: str
    words: tuple[str, ...]


class Classifier:
    """Weighted keywords per category; the heaviest category wins, ties go to file order."""

    def __init__(self, lexicon: dict[str, dict[str, float]]) -> None:
        if not lexicon:
            raise ValueError("the category lexicon is empty")
        self.lexicon = lexicon

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(self.lexicon)

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> "Classifier":
        if path is None:
            raw = resources.files("handlers").joinpath("data/categories.toml").read_text("utf-8")
        else:
            raw = Path(path).read_text("utf-8")
        data = tomllib.loads(raw)
        if not data:
            raise ValueError("the category lexicon is empty")
        lexicon: dict[str, dict[str, float]] = {}
        for category, table in data.items():
            weights = {w.lower(): 1.0 for w in table.get("keywords", [])}
            weights.update({w.lower(): float(v) for w, v in table.get("weights", {}).items()})
            lexicon[category] = weights
        if FALLBACK not in lexicon:
            lexicon[FALLBACK] = {}
        return cls(lexicon)

    def classify(self, text: str) -> Guess:
        lowered = text.lower()
        best, best_score, best_words = FALLBACK, 0.0, ()
        for category, weights in self.lexicon.items():
            words = tuple(w for w in weights if w in lowered)
            score = sum(weights[w] for w in words)
            if score > best_score:
                best, best_score, best_words = category, score, words
        return Guess(best, best_words)
