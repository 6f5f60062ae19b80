"""Folding duplicates: a new report about an open concern at the same place becomes a 附议.

Candidates come from the ``concern_keys`` index (same grid, a shared place or problem
word), never from reading every open concern. A candidate is the same concern only if it is
open, of the same category, at the same spot named on both sides (3栋 is not 5栋, 西头 is not
东头, A梯 is not B梯; a report naming nowhere is never folded) and about the same main fault
(公厕没水 is not 公厕灯坏). A wrong merge hides a resident's concern, so every doubt leaves the
reports apart: a missed merge only leaves a duplicate for the members to join.
"""
from __future__ import annotations

import functools
import re

from sqlalchemy import delete, insert, select

from storage import locks
from storage.models import Concern, ConcernKey

from .lifecycle import OPEN
from .nlp.location import SPECIFIC, STRICT, Place, compatible
from .nlp.concepts import Concepts
from .nlp.pipeline import Analysis

CANDIDATES = 50
CONCEPT = "concept:"
MAIN = "main:"
TERM = "term:"
SIZE = "size:"
#: "上回…", "后来修好了", "虚惊一场": a report looking back at an earlier matter asks something new
#: (an inspection, a prevention, a thank-you), so it is never folded into that matter
LOOKING_BACK = re.compile(r"上回(?![家来去到])|上次|那次|后来|修好了|已经好了|解决了|虚惊一场|之前那")


@functools.cache
def estate_wide() -> frozenset[str]:
    """Problems of the whole estate (handlers/data/concepts.toml ``estate_wide``)."""
    return Concepts.from_file().estate_wide


def keys_of(analysis: Analysis) -> set[str]:
    main = {MAIN + analysis.main_concept} if analysis.main_concept else set()
    return (set(analysis.place.keys) | {CONCEPT + c for c in analysis.concepts} | main
            | {TERM + t for t in analysis.terms} | {SIZE + analysis.size})


def index(session, concern: Concern, analysis: Analysis) -> None:
    """The concern's keys, in one statement (a report has a dozen or more)."""
    rows = [{"concern_id": concern.id, "grid_id": concern.grid_id, "key": key}
            for key in sorted({k[:120] for k in keys_of(analysis)})]
    if rows:
        session.execute(insert(ConcernKey), rows)


def reindex(session, concern: Concern, analysis: Analysis) -> None:
    """After an edit: the concern's keys follow its new text."""
    session.execute(delete(ConcernKey).where(ConcernKey.concern_id == concern.id))
    index(session, concern, analysis)


def match(analysis: Analysis, stored: set[str]) -> int | None:
    """How well a stored concern's keys fit the report (higher is closer), or None when it is
    not the same concern: both must name a spot, share a specific one (a building, unit, gate,
    lift, named block or landmark) with no place of either contradicting the other, name the
    same main fault, and share the problem words."""
    place = Place(frozenset(k for k in stored if not k.startswith((CONCEPT, TERM, MAIN, SIZE))))
    if not (analysis.place.keys or place.keys) and analysis.main_concept in estate_wide():
        # a matter of the whole estate (the fee going up, changing the company) needs no spot
        if MAIN + analysis.main_concept in stored and not LOOKING_BACK.search(analysis.text):
            return 10 * len({k for k in stored if k.startswith(CONCEPT)} & {CONCEPT + c for c in analysis.concepts})
        return None
    if not (analysis.place.keys and place.keys):
        return None  # nowhere named on one side: "the lift" or "the toilet" could be any of them
    if not compatible(analysis.place, place):
        return None
    if LOOKING_BACK.search(analysis.text):
        return None
    for prefix in STRICT:  # "3栋和5栋" is not "5栋": the same buildings, units, lifts... on both sides
        mine, theirs = analysis.place.strict(prefix), place.strict(prefix)
        if mine and theirs and mine != theirs:
            return None
    shared = analysis.place.keys & place.keys
    if not any(k.startswith(SPECIFIC) for k in shared):
        return None
    # (a named block may be the whole estate: 滨河苑 and 2期 can be one spot)
    mine = {k for k in analysis.place.keys if k.startswith(STRICT) and not k.startswith("block:")}
    theirs = {k for k in place.keys if k.startswith(STRICT) and not k.startswith("block:")}
    if mine and theirs and not mine & theirs:
        return None  # b1垃圾房 and 12座垃圾房: one landmark word, two spots
    sizes = {k for k in stored if k.startswith(SIZE)}
    if sizes and SIZE + analysis.size not in sizes:
        return None  # an urgent flood and a proposal against floods are two matters
    landmarks, theirs = analysis.place.strict("place:"), place.strict("place:")
    if landmarks and theirs and not landmarks & theirs:
        return None  # 8栋垃圾房 is not 8栋车棚
    concepts = {k[len(CONCEPT):] for k in stored if k.startswith(CONCEPT)} & analysis.concepts
    theirs_main = next((k[len(MAIN):] for k in stored if k.startswith(MAIN)), None)
    if not analysis.main_concept or not theirs_main:
        return None
    if analysis.main_concept != theirs_main and not (
            analysis.main_concept in concepts and theirs_main in concepts):
        return None  # the same spot with another fault is another concern
    terms = {k[len(TERM):] for k in stored if k.startswith(TERM)} & analysis.terms
    if not concepts:
        return None
    return 10 * len(concepts) + 5 * len(shared) + len(terms)


def find(session, grid_id: int, analysis: Analysis) -> Concern | None:
    """The open concern this report repeats, or None.

    Holds the grid's lock until the caller's transaction ends, so that two identical
    reports arriving at once become one concern and one support, never two concerns.
    """
    if not analysis.concepts:
        return None  # no known problem named: never guess
    locks.hold(session, (locks.GRID, grid_id))
    lookup = sorted({CONCEPT + c for c in analysis.concepts})
    candidates = (
        select(ConcernKey.concern_id).join(Concern, Concern.id == ConcernKey.concern_id)
        .where(ConcernKey.grid_id == grid_id, ConcernKey.key.in_(lookup),
               Concern.state.in_([s.value for s in OPEN]), Concern.category == analysis.category)
        .distinct().order_by(ConcernKey.concern_id.desc()).limit(CANDIDATES))
    # the candidates and all their keys in one query (one round trip), newest first
    keys: dict[int, set[str]] = {}
    for concern_id, key in session.execute(select(ConcernKey.concern_id, ConcernKey.key)
                                           .where(ConcernKey.concern_id.in_(candidates.scalar_subquery()))):
        keys.setdefault(concern_id, set()).add(key)
    best, best_score = None, 0
    for concern_id in sorted(keys, reverse=True):
        score = match(analysis, keys[concern_id])
        if score is not None and score > best_score:
            best, best_score = concern_id, score
    # locked like a concern named by number: a /support on it at the same moment waits
    return session.get(Concern, best, with_for_update=True, populate_existing=True) if best is not None else None
