"""``shangliang intake-train``: learn the intake model that ships in the package.

It reads labelled corpora (the development part, ``tests/data/intake/dev``, and the shared
dev corpus), refuses any file of the test part (that part is for measuring only), and:

1. reads every message once (normalise, jieba words, features);
2. cross-validates by file: each file is read by heads trained on the other files (another
   writer, other estates), and the blend with the lexicons is chosen on those readings:
   the "unsure" level below which a text with no cue is 其他, for the best category accuracy;
   then the urgent threshold: the highest one that finds the held-out urgent reports (recall
   ``--urgent-recall``), or, if that costs more false alarms than ``--max-false-alarms``
   (5 %), the best recall within that ceiling;
3. trains the heads on everything and writes the model, with its examples (a community
   retrains from them plus its own corrections), to ``handlers/data/intake-model.json.gz``.
"""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from handlers.nlp import blend as blending
from handlers.nlp.model import DEFAULT_FILE, Example, IntakeModel
from handlers.nlp.pipeline import Intake
from handlers.nlp.training import cross_validate, fit, read as read_examples

UNSURE = (0.3, 0.4, 0.5)  # below 0.3 the model is near its prior (the commonest category's share)
URGENT_THRESHOLDS = (0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.12, 0.1, 0.08, 0.06, 0.05, 0.04, 0.03, 0.02)


def corpus_examples(paths: list[Path]) -> list[Example]:
    """Every labelled message of the files (each file its own group), refusing the test part."""
    from .intake_eval import corpus_files

    examples = []
    for path in paths:
        for f in corpus_files(path):
            if f.resolve().parent.name == "test":
                raise SystemExit(f"{f}: the test part is for measuring only; train on the development part")
            for line in f.read_text("utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    examples.append(Example(row["text"], row["category"], row["size"], 1.0,
                                            f"{f.resolve().parent.name}/{f.stem}"))
    return examples


def choose_blend(intake: Intake, examples: list[Example], *, urgent_recall: float = 1.0,
                 max_false_alarms: float = 0.05) -> tuple[dict, list[str]]:
    """The blend settings chosen on cross-validated readings, and a report of the choice."""
    texts, feats, cues = read_examples(intake, examples)
    folds = cross_validate(examples, feats, cues, intake.categories)
    held = [IntakeModel(*folds[e.source]) for e in examples]

    def read(settings: dict) -> tuple[list[str], list[str]]:
        cats, sizes = [], []
        for model, text, f in zip(held, texts, feats):
            model = replace(model, blend=settings)
            cats.append(blending.category(intake.classifier, model, text, f).category)
            sizes.append(blending.size(intake.sizer, model, text, f).size)
        return cats, sizes

    settings = dict(blending.DEFAULTS)
    lexicon_alone = [intake.classifier.classify(t).category for t in texts]
    report = [f"lexicon alone: category accuracy {_share(lexicon_alone, examples):.3f}"]
    best = None
    for unsure in UNSURE:
        cats, _ = read({**settings, "unsure": unsure})
        report.append(f"unsure below {unsure:<4} held-out category accuracy {_share(cats, examples):.3f}")
        if best is None or _share(cats, examples) >= best[0]:  # a tie: the more careful level
            best = (_share(cats, examples), unsure)
    settings["unsure"] = best[1]
    urgent = [i for i, e in enumerate(examples) if e.size == "urgent"]
    calm = [i for i, e in enumerate(examples) if e.size != "urgent"]
    tried = []
    for tau in URGENT_THRESHOLDS:
        _, sizes = read({**settings, "urgent_threshold": tau})
        recall = sum(sizes[i] == "urgent" for i in urgent) / max(len(urgent), 1)
        alarms = sum(sizes[i] == "urgent" for i in calm) / max(len(calm), 1)
        report.append(f"urgent threshold {tau:<5} recall {recall:.3f}  false alarms {alarms:.1%}")
        tried.append((tau, recall, alarms))
        if recall >= urgent_recall:
            break
    allowed = [row for row in tried if row[2] <= max_false_alarms] or tried[:1]
    # the best recall the false-alarm ceiling allows (the highest threshold reaching it)
    chosen = max(allowed, key=lambda row: (row[1], row[0]))[0]
    settings["urgent_threshold"] = chosen
    report.append(f"chosen: unsure below {settings['unsure']}, urgent threshold {chosen}")
    return settings, report


def _share(categories: list[str], examples: list[Example]) -> float:
    return sum(c == e.category for c, e in zip(categories, examples)) / len(examples)


def train(intake: Intake, examples: list[Example], settings: dict, about: dict) -> IntakeModel:
    """Heads trained on every example, with the given blend settings."""
    _, feats, cues = read_examples(intake, examples)
    category, size = fit(examples, feats, cues, intake.categories)
    return IntakeModel(category, size, settings, tuple(examples), about)


def main(paths: list[Path], out: Path | None, *, tags: tuple[str, ...], urgent_recall: float = 1.0,
         max_false_alarms: float = 0.05, tune: bool = True) -> list[str]:
    intake = Intake.build(tags=tags, model=False)
    examples = corpus_examples(paths)
    settings, report = (choose_blend(intake, examples, urgent_recall=urgent_recall,
                                                 max_false_alarms=max_false_alarms) if tune
                        else (dict(blending.DEFAULTS), []))
    about = {"trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "examples": len(examples),
             "files": sorted({e.source for e in examples}), "by": "shangliang intake-train"}
    model = train(intake, examples, settings, about)
    target = out or Path(__file__).resolve().parent.parent / "handlers" / DEFAULT_FILE
    target.write_bytes(model.to_bytes())
    report.append(f"{len(examples)} examples, {len(model.category.weights)} category and "
                  f"{len(model.size.weights)} size features → {target} ({target.stat().st_size // 1024} KB)")
    return report
