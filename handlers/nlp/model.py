"""The statistical half of intake: linear models over character n-grams and jieba words.

A report's **features** are the Chinese (or Latin) character 1-, 2- and 3-grams of its
normalised text and its content words; each *head* (category, size) adds up one weight
per label for every feature present, plus a bias, and turns the sums into probabilities
(softmax). The weights are learnt by :mod:`handlers.nlp.training` from labelled messages
and shipped as a JSON file in the package (``handlers/data/intake-model.json.gz``): nothing
is downloaded at run time, and reading a report is a few hundred dictionary look-ups.

The model explains itself like the lexicon does: :meth:`Head.reasons` names the features
present that pushed hardest towards the chosen label.
"""
from __future__ import annotations

import functools
import gzip
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

FORMAT = 1
DEFAULT_FILE = "data/intake-model.json.gz"
_RUN = re.compile(r"[\u4e00-\u9fff]+|[a-z]+")


Features = dict[str, float]


def features(text: str, words: Iterable[str]) -> Features:
    """The features of a normalised text, each 1: ``c``+n-gram (n = 1…3 within a run of
    Chinese characters or of letters) and ``w``+word for each content word."""
    found: Features = {}
    for run in _RUN.findall(text):
        for n in (1, 2, 3):
            for i in range(len(run) - n + 1):
                found["c" + run[i:i + n]] = 1.0
    for w in words:
        found["w" + w] = 1.0
    return found


def lexicon_features(scores: dict[str, float], scale: float = 3.0) -> Features:
    """What the lexicon said, as features the category head weighs like any other (``L``+
    category: its share of the cue weight, × ``scale``): the model learns how far to trust
    the lexicon, and a community's corrections can teach it where not to."""
    total = sum(v for v in scores.values() if v > 0)
    return {"L" + name: scale * v / total for name, v in scores.items() if v > 0} if total else {}


@dataclass(frozen=True)
class Head:
    """One decision (category or size): labels, a bias and a weight vector per feature."""
    labels: tuple[str, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]

    def logits(self, feats: Features) -> list[float]:
        sums = list(self.bias)
        for f, value in feats.items():
            row = self.weights.get(f)
            if row is not None:
                for i, w in enumerate(row):
                    sums[i] += w * value
        return sums

    def probabilities(self, feats: Features) -> dict[str, float]:
        logits = self.logits(feats)
        top = max(logits)
        exps = [math.exp(v - top) for v in logits]
        total = sum(exps)
        return {label: e / total for label, e in zip(self.labels, exps)}

    def reasons(self, feats: Features, label: str, k: int = 3) -> tuple[str, ...]:
        """The words of the text that favour ``label`` most over the other labels: jieba's
        words first, character runs (two or more) only when no word does."""
        i = self.labels.index(label)
        pushes: dict[str, list[tuple[float, str]]] = {"w": [], "c": []}
        for f in feats:
            row = self.weights.get(f)
            if row is None or f[0] not in pushes or len(f) < 3:  # one character explains nothing
                continue
            push = row[i] - sum(row) / len(row)
            if push > 0:
                pushes[f[0]].append((push, f[1:]))
        chosen: list[str] = []
        for _, text in sorted(pushes["w"], reverse=True)[:k] or sorted(pushes["c"], reverse=True):
            if any(text in c for c in chosen):
                continue
            chosen = [c for c in chosen if c not in text] + [text]
            if len(chosen) == k:
                break
        return tuple(chosen)

    def to_json(self) -> dict:
        return {"labels": list(self.labels), "bias": [round(b, 4) for b in self.bias],
                "weights": {f: [round(w, 4) for w in row] for f, row in self.weights.items()}}

    @classmethod
    def from_json(cls, data: dict) -> "Head":
        labels = tuple(data["labels"])
        weights = {f: tuple(map(float, row)) for f, row in data["weights"].items()}
        if len(data["bias"]) != len(labels) or any(len(row) != len(labels) for row in weights.values()):
            raise ValueError("a model head's weights do not match its labels")
        return cls(labels, tuple(map(float, data["bias"])), weights)


@dataclass(frozen=True)
class Example:
    """One labelled message the models learn from (``text`` as residents wrote it)."""
    text: str
    category: str
    size: str
    weight: float = 1.0
    source: str = ""


@functools.lru_cache(maxsize=1)
def _shipped() -> "IntakeModel | None":
    path = resources.files("handlers").joinpath(DEFAULT_FILE)
    return IntakeModel.from_bytes(path.read_bytes()) if path.is_file() else None


@dataclass(frozen=True)
class IntakeModel:
    """The category and size heads, how they are blended with the lexicons (``blend``), and
    the examples they were trained on (so a community can retrain from them plus its own
    corrections)."""
    category: Head
    size: Head
    blend: dict[str, float] = field(default_factory=dict)
    examples: tuple[Example, ...] = ()
    about: dict = field(default_factory=dict)  # what it was trained on, when, by which command

    def to_bytes(self, *, with_examples: bool = True) -> bytes:
        data = {"format": FORMAT, "about": self.about, "blend": self.blend,
                "category": self.category.to_json(), "size": self.size.to_json(),
                "examples": [[e.text, e.category, e.size, e.weight, e.source] for e in self.examples]
                if with_examples else []}
        return gzip.compress(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), mtime=0)

    @classmethod
    def from_bytes(cls, raw: bytes) -> "IntakeModel":
        data = json.loads(gzip.decompress(raw).decode("utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"intake model format {data.get('format')!r} is not {FORMAT}")
        examples = tuple(Example(t, c, s, float(w), src) for t, c, s, w, src in data.get("examples", []))
        return cls(Head.from_json(data["category"]), Head.from_json(data["size"]),
                   {k: float(v) for k, v in data.get("blend", {}).items()}, examples, data.get("about", {}))

    @classmethod
    def shipped(cls) -> "IntakeModel | None":
        """The model that ships in the package (None if it has not been trained yet), read once
        per process: it only reads, so every intake may share it."""
        return _shipped()

    @classmethod
    def from_file(cls, path: str | Path) -> "IntakeModel":
        return cls.from_bytes(Path(path).read_bytes())
