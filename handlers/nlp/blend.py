"""Category and size from the lexicons and the statistical model together.

**Category.** The model's category head reads the text's features *and* what the lexicon
said (each category's share of the cue weight, :func:`handlers.nlp.model.lexicon_features`),
and the most probable category wins: the model has learnt how far to trust the lexicon, and
a community's corrections teach it where not to. A report decided for a category the lexicon
found cues for keeps those deciding words; otherwise the model names the words that weighed
most (:meth:`handlers.nlp.model.Head.reasons`). A text with no cue at all whose likeliest
category is below ``unsure`` is 其他, as with the lexicon alone. Without a model, the lexicon
alone.

**Size, urgent first.** A missed urgent report is the error that can hurt someone, so doubt
leans urgent: the report is urgent when the size cues say so, *or* when the model gives
urgent a probability of at least ``urgent_threshold`` (well under one half: chosen by the
training command so that held-out urgent reports are not missed). Either way the words that
made it urgent are given, for the alert. Otherwise big when the cues or the model say big.
A standing hazard said to be not acute ("暂时还好": the ``calm`` cues) needs the model to be
sure (``calm_threshold``) before it is urgent anyway.
"""
from __future__ import annotations

from ..classify import FALLBACK, Classifier, Guess, explain
from .model import Features, IntakeModel, lexicon_features
from .sizing import SizeGuess, SizeHinter

DEFAULTS = {"urgent_threshold": 0.2, "calm_threshold": 0.6, "big_threshold": 0.5, "unsure": 0.3}


def lexicon_of(classifier: Classifier, text: str) -> tuple[dict, Features]:
    """The lexicon's scores of a text, and the same as model features."""
    lexicon = classifier.scores(text)
    return lexicon, lexicon_features({name: score for name, (score, _) in lexicon.items()})


def category(classifier: Classifier, model: IntakeModel | None, text: str, feats: Features) -> Guess:
    if model is None:
        return classifier.classify(text)
    lexicon, cues = lexicon_of(classifier, text)
    probabilities = model.category.probabilities({**feats, **cues})
    best = max(classifier.categories, key=lambda name: probabilities.get(name, 0.0))
    if not cues and probabilities.get(best, 0.0) < model.blend.get("unsure", DEFAULTS["unsure"]):
        return Guess(FALLBACK, ())  # no cue and no likely category: nothing to go on
    score, hits = lexicon[best]
    if score > 0 and hits:
        return Guess(best, explain(hits))
    return Guess(best, model.category.reasons(feats, best) if best in model.category.labels else ())


def size(sizer: SizeHinter, model: IntakeModel | None, text: str, feats: Features) -> SizeGuess:
    cues = sizer.hint(text)
    if model is None or cues.size == "urgent":
        return cues
    p = model.size.probabilities(feats)
    calm = cues.size == "small" and bool(cues.words)  # the cues found "not acute" words
    threshold = model.blend.get("calm_threshold" if calm else "urgent_threshold",
                                DEFAULTS["calm_threshold" if calm else "urgent_threshold"])
    if p.get("urgent", 0.0) >= threshold:
        return SizeGuess("urgent", model.size.reasons(feats, "urgent"))
    if cues.size == "big":
        return cues
    if p.get("big", 0.0) >= model.blend.get("big_threshold", DEFAULTS["big_threshold"]):
        return SizeGuess("big", model.size.reasons(feats, "big"))
    return cues
