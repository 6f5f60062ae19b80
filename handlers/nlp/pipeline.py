"""The intake pipeline: one object, built at start-up, that reads a report (jieba's part is
loaded on first use or by ``prepare``/``warm``: see ``segment.Segmenter``).

normalise (script, width, emoji, tag) → segment (jieba) → locate → classify → size hint.
Category and size come from the lexicons and the statistical model together
(:mod:`handlers.nlp.blend`): the model that ships in the package, or the community's own
once it has retrained from its members' corrections (``with_model``).
``Analysis.terms`` are the problem words two reports must share to be one concern.
"""
from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from pathlib import Path

from ..classify import Classifier
from . import blend
from .concepts import Concepts
from .location import Locator, Place
from .model import Features, IntakeModel, features
from .normalize import Normalizer
from .segment import Segmenter
from .sizing import SizeHinter


_BUILT: dict[tuple, "Intake"] = {}
SHIPPED = "shipped"  # the model that ships in the package, read on first use
_SAME = object()  # with_model(): keep the model this intake reads with


def _frozen(value: object) -> object:
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value


@dataclass(frozen=True)
class Analysis:
    text: str                      # normalised text the analysers read
    category: str
    category_words: tuple[str, ...]
    size: str
    size_words: tuple[str, ...]
    place: Place
    terms: frozenset[str]          # problem words (no places, no stop words)
    keywords: tuple[str, ...]
    concepts: frozenset[str] = frozenset()  # the problems named (handlers/data/concepts.toml)
    main_concept: str | None = None         # the one named first: what the report is about


class Intake:
    #: a large model's second opinion (``handlers.second_opinion.Judge``), when the community runs one
    judge = None

    def __init__(self, normalizer: Normalizer, segmenter: Segmenter, classifier: Classifier, sizer: SizeHinter,
                 locator: Locator, concepts: Concepts | None = None, model: IntakeModel | None | str = None) -> None:
        self.normalizer, self.segmenter, self.classifier = normalizer, segmenter, classifier
        self.sizer, self.locator = sizer, locator
        self.concepts = concepts or Concepts.from_file()
        self._model: IntakeModel | None | str = model

    @classmethod
    def load(cls, **options) -> "Intake":
        """Build everything once per process and set of options; the result only reads, so
        every bot, replay and test in the process may share it. jieba is not loaded yet:
        ``prepare`` (or the first report) does it."""
        key = tuple(sorted((k, _frozen(v)) for k, v in options.items()))
        if key not in _BUILT:
            _BUILT[key] = cls.build(**options)
        return _BUILT[key]

    @classmethod
    def build(cls, *, tags: tuple[str, ...] = (), lexicon: Path | None = None, sizes: Path | None = None,
             words: tuple[str, ...] = (), landmarks: dict[str, tuple[str, ...]] | None = None,
             concepts_path: Path | None = None, model: Path | None | bool = True) -> "Intake":
        """Build the parts (in ~0.1 s: jieba's dictionary is loaded when first needed).

        ``model``: True for the model shipped in the package, a path for another one, False
        for the lexicons alone."""
        locator = Locator(landmarks)
        place_words = [alias for names in locator.landmarks.values() for alias in names]
        concepts = Concepts.from_file(concepts_path)
        chosen = SHIPPED if model is True else IntakeModel.from_file(model) if model else None
        return cls(Normalizer(tags), Segmenter((*words, *place_words, *concepts.words)), Classifier.from_file(lexicon),
                   SizeHinter.from_file(sizes), locator, concepts, chosen)

    @property
    def model(self) -> IntakeModel | None:
        """The model it reads with; the shipped one is read from the package on first use
        (≈0.1 s, once per process), not when the intake is built."""
        if self._model is SHIPPED:
            self._model = IntakeModel.shipped()
        return self._model  # type: ignore[return-value]

    @model.setter
    def model(self, value: IntakeModel | None) -> None:
        self._model = value

    def with_model(self, model: IntakeModel | None | object = _SAME) -> "Intake":
        """The same parts (shared, not rebuilt) reading with another model (by default the one
        this reads with): each app holds its own, so a community's retrained model never leaks
        into another app in the process."""
        other = copy.copy(self)
        if model is not _SAME:
            other._model = model
        return other

    def features(self, text: str) -> Features:
        """The model's features of a normalised text."""
        return features(text, self.segmenter.tokens(text))

    @property
    def ready(self) -> bool:
        """Whether jieba is loaded (a report read now does not wait for it)."""
        return self.segmenter.ready

    def prepare(self) -> None:
        """Load jieba and the model now (≈1–2 s once per process), so the first report does not wait."""
        self.segmenter.load()
        self.model

    def warm(self):
        """``prepare`` in a background thread; returns the thread."""
        thread = threading.Thread(target=self.prepare, name="intake-load", daemon=True)
        thread.start()
        return thread

    @property
    def categories(self) -> tuple[str, ...]:
        return self.classifier.categories

    def analyse(self, raw: str) -> Analysis:
        text = self.normalizer(raw)
        place = self.locator.locate(text)
        words = self.segmenter.tokens(text)
        feats = features(text, words)
        guess = blend.category(self.classifier, self.model, text, feats)
        size = blend.size(self.sizer, self.model, text, feats)
        place_words = {v for v in place.display.split("、") if v}
        tokens = [t for t in words if t not in place_words and not any(c.isdigit() for c in t)]
        terms = frozenset(tokens) | frozenset(guess.words)
        return Analysis(text, guess.category, tuple(guess.words), size.size, tuple(size.words), place, terms,
                        tuple(self.segmenter.keywords(text)), self.concepts.find(text), self.concepts.main(text))
