"""Folding duplicates: a new report about an open concern at the same place becomes a 附议.

Candidates come from the ``concern_keys`` index (same grid, a shared place or problem
word), never from reading every open concern. A candidate is the same concern only if it is
open, of the same category, at a compatible place (3栋 is not 5栋, 西头 is not 东头), and
shares problem words: one when both name the place, two when neither does. A wrong merge
hides a resident's concern, so every doubt leaves the reports apart.
"""
from __future__ import annotations

from sqlalchemy import delete, insert, select

from storage import locks
from storage.models import Concern, ConcernKey

from .lifecycle import OPEN
from .nlp.location import Place, compatible
from .nlp.pipeline import Analysis

CANDIDATES = 50
CONCEPT = "concept:"
MAIN = "main:"
TERM = "term:"


def keys_of(analysis: Analysis) -> set[str]:
    main = {MAIN + analysis.main_concept} if analysis.main_concept else set()
    return (set(analysis.place.keys) | {CONCEPT + c for c in analysis.concepts} | main
            | {TERM + t for t in analysis.terms})


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
        stored = keys[concern_id]
        place = Place(frozenset(k for k in stored if not k.startswith((CONCEPT, TERM, MAIN))))
        if not compatible(analysis.place, place):
            continue
        concepts = {k[len(CONCEPT):] for k in stored if k.startswith(CONCEPT)} & analysis.concepts
        terms = {k[len(TERM):] for k in stored if k.startswith(TERM)} & analysis.terms
        if not concepts:
            continue
        if not (analysis.place.keys and place.keys):
            # nowhere named on either side: the same main problem and more agreement than one word
            if MAIN + (analysis.main_concept or "") not in stored or len(concepts) + len(terms) < 2:
                continue
        score = 10 * len(concepts) + len(terms)
        if score > best_score:
            best, best_score = concern_id, score
    # locked like a concern named by number: a /support on it at the same moment waits
    return session.get(Concern, best, with_for_update=True, populate_existing=True) if best is not None else None
