"""``shangliang classify`` and ``shangliang intake-eval``: intake from the command line.

``classify`` explains each message (the words that decided); ``intake-eval`` replays a
labeled corpus in order through the real intake path (dispatcher, folding, database) into a
fresh SQLite file and scores category, size and duplicate folding.
"""
from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from dataclasses import replace
from datetime import datetime
from itertools import combinations
from pathlib import Path

from sqlalchemy import select

from handlers.clock import SimulatedClock
from handlers.directory import ChatEntry, Directory, GridEntry
from handlers.messages import Incoming
from handlers.nlp.pipeline import Intake
from handlers.privacy import mask
from storage.models import SourceMessage

from .bootstrap import bootstrap
from .config import AppConfig


def load_intake(config: AppConfig) -> Intake:
    return Intake.load(tags=config.settings.report_tags, lexicon=config.lexicon, sizes=config.sizes,
                       words=config.intake_words, landmarks=config.landmarks)


def classify(config: AppConfig, lines: list[str], as_json: bool) -> str:
    intake = load_intake(config)
    out = []
    for line in lines:
        if not line.strip():
            continue
        text = line
        if line.lstrip().startswith("{"):
            try:
                text = json.loads(line)["text"]
            except (json.JSONDecodeError, KeyError, TypeError):
                pass
        a = intake.analyse(text)
        row = {"category": a.category, "category_words": list(a.category_words), "size": a.size,
               "size_words": list(a.size_words), "location": a.place.display,
               "keywords": [mask(k) for k in a.keywords],
               "masked": mask(text)}
        if as_json:
            out.append(json.dumps(row, ensure_ascii=False))
        else:
            out.append(f"{row['masked']}\n  分类 {a.category}（{'、'.join(a.category_words) or '无关键词'}）"
                       f"  大小 {a.size}（{'、'.join(a.size_words) or '默认'}）"
                       f"  地点 {a.place.display or '—'}  关键词 {'、'.join(row['keywords'])}")
    return "\n".join(out)


def evaluate(config: AppConfig, corpus: Path) -> dict:
    rows = [json.loads(line) for line in corpus.read_text("utf-8").splitlines() if line.strip()]
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
    return score(rows, predictions, folded)


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
    urgent_found = sum(predictions[r["id"]].size == "urgent" for r in urgent)
    gold_pairs = {(a["id"], b["id"]) for a, b in combinations(rows, 2) if a["dup"] and a["dup"] == b["dup"]}
    made_pairs = {(a["id"], b["id"]) for a, b in combinations(rows, 2)
                  if folded.get(a["id"]) is not None and folded.get(a["id"]) == folded.get(b["id"])}
    right = len(gold_pairs & made_pairs)
    precision = right / len(made_pairs) if made_pairs else 1.0
    recall = right / len(gold_pairs) if gold_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    n = len(rows)
    return {
        "messages": n, "lost": sum(1 for r in rows if r["id"] not in folded),
        "category_accuracy": hits["category"] / n, "size_accuracy": hits["size"] / n,
        "urgent_recall": urgent_found / len(urgent) if urgent else 1.0,
        "duplicates": {"precision": precision, "recall": recall, "f1": f1, "pairs_gold": len(gold_pairs),
                       "pairs_made": len(made_pairs), "pairs_right": right},
        "per_category": {c: {"precision": v["correct"] / v["predicted"] if v["predicted"] else 0.0,
                             "recall": v["correct"] / v["gold"] if v["gold"] else 0.0, "n": v["gold"]}
                         for c, v in per.items() if c in categories},
    }


def render(result: dict) -> str:
    d = result["duplicates"]
    lines = [f"messages {result['messages']} (not recorded: {result['lost']})",
             f"category accuracy {result['category_accuracy']:.3f}",
             f"size accuracy     {result['size_accuracy']:.3f}   urgent recall {result['urgent_recall']:.3f}",
             f"duplicates        precision {d['precision']:.3f}  recall {d['recall']:.3f}  F1 {d['f1']:.3f}"
             f"  (pairs: {d['pairs_right']} right of {d['pairs_made']} made, {d['pairs_gold']} labeled)",
             "per category      precision  recall  n"]
    for c, v in result["per_category"].items():
        lines.append(f"  {c:<8}        {v['precision']:.3f}     {v['recall']:.3f}  {v['n']}")
    return "\n".join(lines)


def read_stdin() -> list[str]:
    return sys.stdin.read().splitlines()
