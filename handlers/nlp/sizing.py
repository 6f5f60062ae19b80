"""Size hint for a report: 小事 (small), 大事 (big) or 急事 (urgent).

The cues live in the editable ``handlers/data/sizes.toml`` and are scored like the
category lexicon (weights, ``甲+乙`` combos, longer cues swallowing shorter ones; see
:mod:`handlers.classify`):

* **urgent** — a risk to safety or health right now (gas smell, someone trapped, a live
  wire down, flooding, sewage overflowing, a fire exit blocked by charging, something
  about to fall, a missing manhole cover, a lone elderly person not seen for days);
* **big** — needs a collective decision, money or several parties (renovation, adding a
  lift, changing or auditing the property company, parking policy, new services, traffic
  lights, street trees, building appraisal, "let's hold a meeting");
* **small** — everything else.

``[calm]`` cues ("暂时还好", "还没事") say a standing hazard is not acute: their weight is
taken off the urgent score, so a leaning pole that is "暂时还好" stays small.
Size is independent of category: the hint reads the text only.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from handlers.classify import CueSet, Hit, Matcher, Rules, explain, read_toml

SIZES = ("small", "big", "urgent")


@dataclass(frozen=True)
class SizeGuess:
    size: str
    words: tuple[str, ...]


class SizeHinter:
    def __init__(self, urgent: CueSet, big: CueSet, calm: CueSet | None = None, *,
                 rules: Rules | None = None, urgent_threshold: float = 3.0,
                 big_threshold: float = 2.0, neutral: CueSet | None = None) -> None:
        if not urgent or not big:
            raise ValueError("the size cues need both [urgent] and [big] entries")
        self.urgent_threshold = urgent_threshold
        self.big_threshold = big_threshold
        self._matcher = Matcher({"urgent": urgent, "big": big, "calm": calm or CueSet()}, rules or Rules(),
                                neutral)

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> "SizeHinter":
        data = read_toml(path, "data/sizes.toml")
        rules = data.get("_rules", {})
        for name in ("urgent", "big"):
            if name not in data:
                raise ValueError(f"the size file has no [{name}] table")
        return cls(CueSet.from_table("urgent", data["urgent"]), CueSet.from_table("big", data["big"]),
                   CueSet.from_table("calm", data.get("calm", {})), rules=Rules.from_table(rules),
                   urgent_threshold=float(rules.get("urgent_threshold", 3.0)),
                   big_threshold=float(rules.get("big_threshold", 2.0)),
                   neutral=CueSet.from_table("_neutral", data.get("_neutral", {})))

    def scores(self, text: str) -> dict[str, tuple[float, list[Hit]]]:
        hits = self._matcher.hits(text)
        return {name: (sum(h.score for h in found), found) for name, found in hits.items()}

    def hint(self, text: str) -> SizeGuess:
        s = self.scores(text)
        (urgent, urgent_hits), (big, big_hits), (calm, calm_hits) = s["urgent"], s["big"], s["calm"]
        if urgent - calm >= self.urgent_threshold:
            return SizeGuess("urgent", explain(urgent_hits))
        if big >= self.big_threshold:
            return SizeGuess("big", explain(big_hits))
        if calm > 0:  # said to be not acute: say why it stayed small
            return SizeGuess("small", explain(calm_hits))
        return SizeGuess("small", ())
