"""Counting a poll (committee or residents): quorum, tally, winner, and whether it passes."""
from __future__ import annotations

import math
from collections import Counter

from storage.models import Deliberation, Option

from .texts import render


def quorum(poll: Deliberation) -> int:
    """Voters needed: a fixed count when set, else the share of the electorate (at least 1)."""
    if poll.quorum_count:
        return poll.quorum_count
    return max(1, math.ceil(poll.quorum_share * poll.electorate - 1e-9))


def voters(poll: Deliberation) -> int:
    return len({v.person_id for v in poll.votes})


def tally(poll: Deliberation) -> list[tuple[Option, int]]:
    counts = Counter(v.option_id for v in poll.votes)
    return [(o, counts.get(o.id, 0)) for o in poll.options]


def tally_text(poll: Deliberation) -> str:
    return "，".join(f"{o.text} {n}" for o, n in tally(poll))


def top(poll: Deliberation) -> tuple[Option, int, int]:
    """The leading option, its votes, and the votes cast (one per voter and option chosen)."""
    ranked = sorted(tally(poll), key=lambda pair: -pair[1])
    return ranked[0][0], ranked[0][1], sum(n for _, n in ranked)


def tied(poll: Deliberation) -> bool:
    ranked = sorted((n for _, n in tally(poll)), reverse=True)
    return len(ranked) > 1 and ranked[0] == ranked[1]


def passes(poll: Deliberation) -> bool:
    """Plurality (no tie for first), or the leading option reaching the threshold of votes cast."""
    if tied(poll):
        return False
    option, count, cast = top(poll)
    if poll.threshold is None:
        return count > 0
    return cast > 0 and count / cast >= poll.threshold - 1e-3  # 0.667 means 2/3


def winner(poll: Deliberation, language: str = "zh") -> str:
    """The plurality option; a tie for first place is reported as a tie (平票)."""
    if tied(poll):
        ranked = sorted(tally(poll), key=lambda pair: -pair[1])
        return render(language, "poll.tie", options="、".join(o.text for o, n in ranked if n == ranked[0][1]))
    return top(poll)[0].text


def numbered(poll: Deliberation) -> str:
    return "\n".join(f"{o.position}. {o.text}" for o in poll.options)


def share_text(threshold: float) -> str:
    known = {0.5: "1/2", 0.6: "60%", 0.667: "2/3", 0.75: "3/4"}
    return next((text for value, text in known.items() if abs(value - threshold) < 0.01), f"{threshold:.0%}")
