"""``shangliang classify``: each message's category and size explained (the words that decided).

``shangliang intake-eval`` is in :mod:`bot.intake_eval`.
"""
from __future__ import annotations

import json
import sys

from handlers.nlp.pipeline import Intake
from handlers.privacy import mask

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


def read_stdin() -> list[str]:
    return sys.stdin.read().splitlines()
