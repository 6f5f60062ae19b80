"""Choosing a category for a report from the editable keyword lexicon.

It runs offline and explains itself: ``Guess.words`` are the cues that decided. Everything
that decides is in the data file (``handlers/data/categories.toml``), which a coordinator
may edit; this module only knows how to add the cues up:

* each category lists **keywords** (weight 1) and **weights** (a table of cue → weight);
* **combos** (``"电线+垂|掉"``) fire when every part (``|`` separates alternatives) is found
  within a few characters of each other, so "楼上…漏水" can mean something neither word
  means alone;
* a cue found in a **longer cue of another category** does not count (``电梯`` inside
  ``电梯困人``), and ``[_neutral]`` phrases swallow the cues inside them for nobody
  (``燃气灶`` is not a gas leak);
* a cue used as a **landmark** (``电梯口那边…``, ``垃圾站旁边…``) counts for less;
* **earlier** mentions weigh a little more (the main problem usually comes first);
* ``[_danger]`` cues (someone could be hurt right now) add to the danger category, the
  README tie-break "mainly about danger to people → 安全隐患".

The heaviest category wins; ties go to file order, and no cue at all gives 其他.
``SizeHinter`` (``handlers/nlp/sizing.py``) reuses :class:`CueSet` for sizes.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

FALLBACK = "其他"
SETTINGS_PREFIX = "_"  # tables whose name starts with "_" are settings, not categories


@dataclass(frozen=True)
class Guess:
    category: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Hit:
    """One cue found in a text: what it is (``word``), the text it matched, where, and its score."""
    word: str
    parts: tuple[str, ...]
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Combo:
    name: str
    parts: tuple[tuple[str, ...], ...]  # each part: alternatives
    weight: float


@dataclass
class CueSet:
    """The cues of one category (or size): plain words with weights, and combos."""
    weights: dict[str, float] = field(default_factory=dict)
    combos: tuple[Combo, ...] = ()

    @classmethod
    def from_table(cls, name: str, table: dict) -> "CueSet":
        if not isinstance(table, dict):
            raise ValueError(f"[{name}] must be a table")
        words = table.get("keywords", [])
        weights_table = table.get("weights", {})
        combos_table = table.get("combos", {})
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise ValueError(f"[{name}] keywords must be a list of non-empty strings")
        if not isinstance(weights_table, dict) or not isinstance(combos_table, dict):
            raise ValueError(f"[{name}] weights and combos must be tables of cue = weight")
        weights = {w.strip().lower(): 1.0 for w in words}
        for w, v in weights_table.items():
            if not w.strip():
                raise ValueError(f"[{name}] has an empty cue")
            weights[w.strip().lower()] = float(v)
        combos = []
        for spec, v in combos_table.items():
            parts = tuple(tuple(a.strip().lower() for a in p.split("|") if a.strip())
                          for p in spec.split("+"))
            if len(parts) < 2 or not all(parts):
                raise ValueError(f"[{name}.combos] {spec!r}: write two or more parts as 甲+乙 (乙|丙 for either)")
            combos.append(Combo(spec.strip().lower(), parts, float(v)))
        return cls(weights, tuple(combos))

    def __bool__(self) -> bool:
        return bool(self.weights or self.combos)


@dataclass(frozen=True)
class Rules:
    """Scoring settings from the ``[_rules]`` table (defaults: plain summed weights)."""
    position_bonus: float = 0.0      # a cue at the very start weighs ×(1 + bonus), at the end ×1
    combo_window: int = 12           # combo parts must all fall within this many characters
    landmark_factor: float = 1.0     # a cue followed by a landmark suffix weighs ×factor
    landmark_suffixes: tuple[str, ...] = ()
    threshold: float = 0.0           # the winner must score more than this, else 其他

    @classmethod
    def from_table(cls, table: dict) -> "Rules":
        return cls(position_bonus=float(table.get("position_bonus", 0.0)),
                   combo_window=int(table.get("combo_window", 12)),
                   landmark_factor=float(table.get("landmark_factor", 1.0)),
                   landmark_suffixes=tuple(s.lower() for s in table.get("landmark_suffixes", [])),
                   threshold=float(table.get("threshold", 0.0)))


def _occurrences(text: str, word: str) -> list[int]:
    """Every start of ``word`` in ``text``, overlapping ones included."""
    found, i = [], text.find(word) if word else -1
    while i >= 0:
        found.append(i)
        i = text.find(word, i + 1)
    return found


class Matcher:
    """Finds the cues of several named cue sets in one text, resolving overlaps between sets."""

    def __init__(self, sets: dict[str, CueSet], rules: Rules, neutral: CueSet | None = None) -> None:
        self.sets = sets
        self.rules = rules
        self.neutral = neutral or CueSet()
        # per set, its words by first character (in the set's order): a text is searched only
        # for the words that can start somewhere in it, not for the whole lexicon
        self._by_first: dict[str, dict[str, list[tuple[int, str]]]] = {}
        for name, cues in {**self.sets, "": self.neutral}.items():
            index: dict[str, list[tuple[int, str]]] = {}
            for order, word in enumerate(cues.weights):
                if word:
                    index.setdefault(word[0], []).append((order, word))
            self._by_first[name] = index

    def _words_in(self, name: str, text: str) -> list[str]:
        """The set's words whose first character occurs in ``text``, in the set's order."""
        index = self._by_first[name]
        found = [pair for ch in set(text) for pair in index.get(ch, ())]
        return [word for _, word in sorted(found)]

    def _factor(self, text: str, start: int, end: int | None = None) -> float:
        """Earlier mentions weigh more; a word used as a landmark (given ``end``) weighs less."""
        rules = self.rules
        factor = 1.0 + rules.position_bonus * (1.0 - start / max(len(text), 1))
        if end is not None and rules.landmark_suffixes and any(text.startswith(s, end) for s in rules.landmark_suffixes):
            factor *= rules.landmark_factor
        return factor

    def hits(self, text: str) -> dict[str, list[Hit]]:
        text = text.lower()
        # every occurrence of every plain word, per set
        spans: dict[str, list[tuple[str, int, int]]] = {}
        for name in (*self.sets, ""):
            spans[name] = [(w, s, s + len(w)) for w in self._words_in(name, text) for s in _occurrences(text, w)]

        def inside(s: int, e: int, os: int, oe: int) -> bool:
            return os <= s and e <= oe and (oe - os) > (e - s)

        def swallowed(name: str, s: int, e: int) -> bool:
            """Inside a longer cue of another set (or of the neutral list)."""
            return any(other != name and inside(s, e, os, oe)
                       for other, found in spans.items() for _, os, oe in found)

        out: dict[str, list[Hit]] = {}
        for name, cues in self.sets.items():
            own = [(w, s, e) for w, s, e in spans[name] if not swallowed(name, s, e)]
            # a longer cue of the same set replaces the shorter ones inside it (its weight
            # alone counts), but they are still named when explaining
            longest = [(w, s, e) for w, s, e in own if not any(inside(s, e, os, oe) for _, os, oe in own)]
            found: dict[str, Hit] = {}
            for w, s, e in sorted(longest, key=lambda x: x[1]):
                if w in found:
                    continue
                inner = tuple(dict.fromkeys(iw for iw, s2, e2 in own if inside(s2, e2, s, e)))
                found[w] = Hit(w, (w,) + inner, s, e, cues.weights[w] * self._factor(text, s, e))
            hits = list(found.values())
            for combo in cues.combos:
                hit = self._combo(text, combo)
                if hit:
                    hits.append(hit)
            out[name] = hits
        return out

    def _combo(self, text: str, combo: Combo) -> Hit | None:
        places = []
        for alternatives in combo.parts:
            occ = [(s, s + len(a), a) for a in alternatives for s in _occurrences(text, a)]
            if not occ:
                return None
            places.append(occ)
        best: tuple[int, int, tuple[str, ...]] | None = None
        window = self.rules.combo_window

        def walk(i: int, lo: int, hi: int, words: tuple[str, ...]) -> None:
            nonlocal best
            if hi - lo > window:
                return
            if i == len(places):
                if best is None or lo < best[0]:
                    best = (lo, hi, words)
                return
            for s, e, a in places[i]:
                walk(i + 1, min(lo, s), max(hi, e), words + (a,))

        walk(0, len(text), -1, ())
        if best is None:
            return None
        lo, hi, words = best
        return Hit(combo.name, words, lo, hi, combo.weight * self._factor(text, lo))


def explain(hits: list[Hit]) -> tuple[str, ...]:
    """The words that decided, heaviest first, each once, each as it appears in the text."""
    words: list[str] = []
    for hit in sorted(hits, key=lambda h: (-h.score, h.start)):
        for w in hit.parts:
            if w not in words:
                words.append(w)
    return tuple(words)


def read_toml(path: str | Path | None, default: str) -> dict:
    if path is None:
        raw = resources.files("handlers").joinpath(default).read_text("utf-8")
    else:
        raw = Path(path).read_text("utf-8")
    return tomllib.loads(raw)


class Classifier:
    """Weighted cues per category; the heaviest category wins, ties go to file order."""

    def __init__(self, lexicon: dict[str, dict[str, float]] | dict[str, CueSet], *,
                 rules: Rules | None = None, neutral: CueSet | None = None,
                 danger: CueSet | None = None, danger_category: str | None = None,
                 danger_boost: float = 1.0, danger_alone: float = 0.0) -> None:
        if not lexicon:
            raise ValueError("the category lexicon is empty")
        self.sets = {c: v if isinstance(v, CueSet) else CueSet({w.lower(): float(x) for w, x in v.items()})
                     for c, v in lexicon.items()}
        self.rules = rules or Rules()
        self.danger = danger or CueSet()
        self.danger_category = danger_category
        self.danger_boost = danger_boost
        self.danger_alone = danger_alone
        if self.danger and danger_category not in self.sets:
            raise ValueError(f"[_danger] category {danger_category!r} is not a category in the lexicon")
        sets = dict(self.sets)
        if self.danger:
            sets[_DANGER] = self.danger
        self._matcher = Matcher(sets, self.rules, neutral)

    @property
    def lexicon(self) -> dict[str, dict[str, float]]:
        """Plain keyword weights per category (combos not included)."""
        return {c: dict(s.weights) for c, s in self.sets.items()}

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(self.sets)

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> "Classifier":
        data = read_toml(path, "data/categories.toml")
        tables = {k: v for k, v in data.items() if not k.startswith(SETTINGS_PREFIX)}
        if not tables:
            raise ValueError("the category lexicon is empty")
        sets = {category: CueSet.from_table(category, table) for category, table in tables.items()}
        if FALLBACK not in sets:
            sets[FALLBACK] = CueSet()
        danger_table = data.get("_danger", {})
        return cls(sets, rules=Rules.from_table(data.get("_rules", {})),
                   neutral=CueSet.from_table("_neutral", data.get("_neutral", {})),
                   danger=CueSet.from_table("_danger", danger_table),
                   danger_category=danger_table.get("category"),
                   danger_boost=float(danger_table.get("boost", 1.0)),
                   danger_alone=float(danger_table.get("alone", 0.0)))

    def scores(self, text: str) -> dict[str, tuple[float, list[Hit]]]:
        """Every category's score and the cues behind it (for explanations and tuning)."""
        hits = self._matcher.hits(text)
        out = {c: (sum(h.score for h in hits[c]), list(hits[c])) for c in self.sets}
        danger = hits.get(_DANGER, [])
        if danger and self.danger_category:
            score, found = out[self.danger_category]
            if not found and sum(h.score for h in danger) < self.danger_alone:
                return out  # a mild word ("吓人") with no hazard named is not enough
            boosted = [Hit(h.word, h.parts, h.start, h.end, h.score * self.danger_boost) for h in danger]
            out[self.danger_category] = (score + sum(h.score for h in boosted), found + boosted)
        return out

    def classify(self, text: str) -> Guess:
        best, best_score, best_hits = FALLBACK, self.rules.threshold, []
        for category, (score, hits) in self.scores(text).items():
            if score > best_score:
                best, best_score, best_hits = category, score, hits
        return Guess(best, explain(best_hits) if best_score > 0 else ())


_DANGER = "\0danger"
