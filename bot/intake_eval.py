"""``shangliang intake-eval``: intake scored on labelled corpora.

Each corpus file is its own small world (its grids, its residents): it is replayed in order
through the real intake path (dispatcher, folding, database) into a fresh SQLite file, and
what the bot recorded is compared with the labels: category, size (urgent recall and false
alarms), and which messages were folded into one concern (pairwise precision and recall).

A *part* is a file or a folder of files scored together (``tests/data/intake/dev`` and
``.../test``): the figures that count are those of the part no lexicon edit has looked at.
"""
from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import replace
from datetime import datetime
from itertools import combinations
from pathlib import Path

import json
from sqlalchemy import select

from handlers.clock import SimulatedClock
from handlers.directory import ChatEntry, Directory, GridEntry
from handlers.messages import Incoming
from handlers.nlp.model import IntakeModel
from storage.models import SourceMessage

from .bootstrap import bootstrap
from .config import AppConfig


def corpus_files(path: Path) -> list[Path]:
    """The corpus files of a part: the file itself, or every ``*.jsonl`` under the folder."""
    return sorted(path.rglob("*.jsonl")) if path.is_dir() else [path]


def replay(config: AppConfig, corpus: Path) -> tuple[list[dict], dict, dict]:
    """One file through the bot: its rows, what intake read in each, and the concern each went to."""
    rows = [json.loads(line) for line in corpus.read_text("utf-8").splitlines() if line.strip()]
    if not rows:
        return [], {}, {}
    grids = sorted({r["grid"] for r in rows})
    directory = Directory(grids=tuple(GridEntry(g, g) for g in grids),
                          chats=tuple(ChatEntry(key=g, kind="grid", grid=g) for g in grids))
    config = replace(config, directory=directory)
    with tempfile.TemporaryDirectory(prefix="shangliang-eval-") as tmp:
        app = bootstrap(config, clock=SimulatedClock(datetime.fromisoformat(rows[0]["at"])),
                        database_url=f"sqlite:///{Path(tmp) / 'eval.db'}")
        try:
            for r in rows:
                app.clock.set(datetime.fromisoformat(r["at"]))
                app.dispatcher.handle(Incoming(platform="replay", chat_id=r["grid"], sender_id=r["from"],
                                               sender_name=r["from"], text=r["text"], at=app.clock.now(),
                                               message_id=r["id"], event_id=r["id"]))
            with app.sessions() as session:
                folded = dict(session.execute(select(SourceMessage.event_id, SourceMessage.concern_id)).all())
            predictions = {r["id"]: app.intake.analyse(r["text"]) for r in rows}
        finally:
            app.close()
    return rows, predictions, folded


def evaluate(config: AppConfig, part: Path) -> dict:
    """The scores of one part; ids, duplicate labels and concerns are kept apart per file."""
    files = corpus_files(part)
    rows, predictions, folded = [], {}, {}
    for path in files:
        those, read, went = replay(config, path)
        key = path.stem if len(files) > 1 else ""
        for r in those:
            rid = f"{key}:{r['id']}" if key else r["id"]
            rows.append({**r, "id": rid, "dup": f"{key}:{r['dup']}" if key and r["dup"] else r["dup"]})
            predictions[rid] = read[r["id"]]
            if went.get(r["id"]) is not None:
                folded[rid] = (key, went[r["id"]])
    result = score(rows, predictions, folded)
    result["files"] = [str(p) for p in files]
    result["trained_on"] = trained_on(files)
    return result


def trained_on(files: list[Path]) -> int:
    """How many of the files the shipped model learnt from (their figures measure nothing)."""
    model = IntakeModel.shipped()
    sources = {e.source for e in model.examples} if model else set()
    return sum(f"{f.resolve().parent.name}/{f.stem}" in sources for f in files)


def _accuracy(rows: list[dict], predictions: dict) -> float | None:
    return sum(predictions[r["id"]].category == r["category"] for r in rows) / len(rows) if rows else None


def score(rows: list[dict], predictions: dict, folded: dict) -> dict:
    categories = sorted({r["category"] for r in rows})
    hits = Counter()
    per = {c: Counter() for c in categories}
    for r in rows:
        got = predictions[r["id"]].category
        hits["category"] += got == r["category"]
        hits["size"] += predictions[r["id"]].size == r["size"]
        per[r["category"]]["gold"] += 1
        per.setdefault(got, Counter())["predicted"] += 1
        if got == r["category"]:
            per[r["category"]]["correct"] += 1
    urgent = [r for r in rows if r["size"] == "urgent"]
    calm = [r for r in rows if r["size"] != "urgent"]
    urgent_found = sum(predictions[r["id"]].size == "urgent" for r in urgent)
    false_alarms = sum(predictions[r["id"]].size == "urgent" for r in calm)
    gold_pairs = {(a["id"], b["id"]) for a, b in combinations(rows, 2) if a["dup"] and a["dup"] == b["dup"]}
    made_pairs = {(a["id"], b["id"]) for a, b in combinations(rows, 2)
                  if folded.get(a["id"]) is not None and folded.get(a["id"]) == folded.get(b["id"])}
    right = len(gold_pairs & made_pairs)
    precision = right / len(made_pairs) if made_pairs else 1.0
    recall = right / len(gold_pairs) if gold_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    n = len(rows)
    scripts = {s: _accuracy([r for r in rows if r.get("script") == s], predictions)
               for s in sorted({r.get("script") for r in rows if r.get("script")})}
    return {
        "messages": n, "lost": sum(1 for r in rows if r["id"] not in folded),
        "category_accuracy": hits["category"] / n if n else 0.0, "size_accuracy": hits["size"] / n if n else 0.0,
        "urgent_recall": urgent_found / len(urgent) if urgent else 1.0,
        "urgent": {"labelled": len(urgent), "found": urgent_found, "false_alarms": false_alarms,
                   "false_alarm_rate": false_alarms / len(calm) if calm else 0.0},
        "category_accuracy_by_script": scripts,
        "duplicates": {"precision": precision, "recall": recall, "f1": f1, "pairs_gold": len(gold_pairs),
                       "pairs_made": len(made_pairs), "pairs_right": right},
        "per_category": {c: {"precision": v["correct"] / v["predicted"] if v["predicted"] else 0.0,
                             "recall": v["correct"] / v["gold"] if v["gold"] else 0.0, "n": v["gold"]}
                         for c, v in per.items() if c in categories},
    }


def render(result: dict, title: str | None = None) -> str:
    d, u = result["duplicates"], result["urgent"]
    lines = [f"== {title}" if title else None,
             f"messages {result['messages']} (not recorded: {result['lost']})",
             f"note: the shipped model was trained on {result['trained_on']} of these files: their figures"
             " are training accuracy, not a measure (read the test part)" if result.get("trained_on") else None,
             f"category accuracy {result['category_accuracy']:.3f}",
             f"size accuracy     {result['size_accuracy']:.3f}   urgent recall {result['urgent_recall']:.3f}",
             f"urgent            {u['found']} of {u['labelled']} found, {u['false_alarms']} false alarms"
             f" ({u['false_alarm_rate']:.1%} of the rest)",
             "by script         " + "  ".join(f"{s} {v:.3f}" for s, v in
                                              result["category_accuracy_by_script"].items()),
             f"duplicates        precision {d['precision']:.3f}  recall {d['recall']:.3f}  F1 {d['f1']:.3f}"
             f"  (pairs: {d['pairs_right']} right of {d['pairs_made']} made, {d['pairs_gold']} labeled)",
             "per category      precision  recall  n"]
    for c, v in result["per_category"].items():
        lines.append(f"  {c:<8}        {v['precision']:.3f}     {v['recall']:.3f}  {v['n']}")
    return "\n".join(line for line in lines if line is not None)
