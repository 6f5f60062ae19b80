"""The buttons offered under messages, as neutral data: a label and the command it sends
(or ``start``: a payload for opening a private chat with the bot).

Labels are ``Lazy``/``Word`` values rendered in the recipient's language; platforms with
buttons render them (Telegram: inline keyboard), others show the commands in the text.
"""
from __future__ import annotations

from .settings import SIZES
from .texts import Lazy, Word

RATINGS = ("satisfied", "basically", "dissatisfied")


def resident(number: int) -> list[list[dict]]:
    """Under a report in a grid group; the last button opens a private chat with the bot
    (``start``: the deep-link payload) for residents who would rather report anonymously."""
    return [[{"label": Lazy.of("button.support"), "command": f"/support {number}"},
             {"label": Lazy.of("button.status"), "command": f"/status {number}"}],
            [{"label": Lazy.of("button.private"), "start": "report"}]]


def member(number: int) -> list[list[dict]]:
    return [[{"label": Lazy.of("button.claim"), "command": f"/claim {number}"}],
            [{"label": Word("size", size), "command": f"/size {number} {size}"} for size in SIZES],
            [{"label": Lazy.of("button.deliberate"), "command": f"/deliberate {number}"}]]


def survey(number: int) -> list[list[dict]]:
    return [[{"label": Word("rating", rating), "command": f"/survey {number} {n}"}
             for n, rating in enumerate(RATINGS, start=1)]]


def vote(number: int, options: list[tuple[int, str]]) -> list[list[dict]]:
    return [[{"label": f"{position}. {text}", "command": f"/vote {number} {position}"}] for position, text in options]
