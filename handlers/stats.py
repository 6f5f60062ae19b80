"""/stats and /members: the figures coordinators report upward, in chat.

The counts of the articles' kind (collected, deliberated, decided, resolved, converted,
supports) and the three rates, each rate with its numerator and denominator and never a bare
percentage of nothing. The numbers come from ``storage.figures`` (SQL aggregates); this
module picks the period and the grid and renders them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage import figures, queries
from storage.figures import Ratio, Window

from .common import require_role
from .context import Context
from .lifecycle import Refused, Role
from .periods import BadPeriod, Period, parse
from .texts import t, word


@dataclass(frozen=True)
class Summary:
    period: Period
    grid_name: str
    counts: dict[str, int]
    converted: dict[str, int]
    response: Ratio
    resolution: Ratio
    satisfaction: Ratio


def summary(session, period: Period, now: datetime, grid_id: int | None = None, grid_name: str = "") -> Summary:
    window = Window(period.start, period.end, grid_id)
    return Summary(period, grid_name, figures.counts(session, window), figures.converted_by_kind(session, window),
                   figures.response(session, window, now), figures.resolution(session, window, now),
                   figures.satisfaction(session, window))


def rate_text(lang: str, name: str, ratio: Ratio) -> str:
    """``响应率 80.0%（8/10）``; with nothing to count, a dash and 0/0, never ``0%``."""
    label = t(lang, f"rate.{name}")
    if ratio.value is None:
        return t(lang, "stats.rate_none", name=label)
    return t(lang, "stats.rate", name=label, value=f"{ratio.value:.1%}", numerator=ratio.numerator,
             denominator=ratio.denominator)


def render_summary(lang: str, s: Summary, *, head: str = "stats.head", definitions: bool = True) -> str:
    c = s.counts
    kinds = "、".join(f"{word(lang, 'kind', k)} {n}" for k, n in sorted(s.converted.items()))
    lines = [
        t(lang, head, period=s.period.label, grid=f"（{s.grid_name}）" if s.grid_name else ""),
        t(lang, "stats.counts", collected=c["collected"], deliberated=c["deliberated"], decided=c["decided"],
          resolved=c["resolved"], converted=c["converted"], supports=c["supports"]),
        rate_text(lang, "response", s.response),
        rate_text(lang, "resolution", s.resolution),
        rate_text(lang, "satisfaction", s.satisfaction),
    ]
    if kinds:
        lines.insert(2, t(lang, "stats.converted", kinds=kinds))
    if any(c[k] for k in ("reopened", "rejected", "withdrawn", "no_quorum")):
        lines.append(t(lang, "stats.also", reopened=c["reopened"], rejected=c["rejected"], withdrawn=c["withdrawn"],
                       no_quorum=c["no_quorum"]))
    if definitions:
        lines.append(t(lang, "stats.definitions"))
    return "\n".join(lines)


def _period_and_grid(ctx: Context, args: str) -> tuple[Period, int | None, str]:
    """``[period] [grid]`` in either order; a grid is named by its key or name."""
    grid, rest = None, []
    for token in args.split():
        found = queries.grid_by_key_or_name(ctx.session, token)
        if found is not None and grid is None:
            grid = found
        else:
            rest.append(token)
    return period_of(ctx, " ".join(rest)), (grid.id if grid else None), (grid.name if grid else "")


def period_of(ctx: Context, text: str, default: str = "month") -> Period:
    """The period someone typed (this month if nothing), or a refusal with examples."""
    try:
        return parse(text, ctx.now, ctx.settings.zone, default=default)
    except BadPeriod:
        raise Refused("refused.bad_period", period=text.strip()) from None


def stats(ctx: Context, args: str) -> None:
    """/stats [本周|本月|本季度|本年|2026-03|2026-03-01~2026-03-15] [grid] — members and coordinators."""
    require_role(ctx, Role.MEMBER, "stats")
    period, grid_id, grid_name = _period_and_grid(ctx, args)
    result = summary(ctx.session, period, ctx.now, grid_id, grid_name)
    ctx.reply_text(render_summary(ctx.lang, result), kind="reply:stats")


def members_text(lang: str, session, period: Period) -> str:
    rows = figures.members(session, Window(period.start, period.end))
    lines = [t(lang, "members.head", period=period.label)]
    for m in rows:
        lines.append(t(lang, "members.row", name=m.name, claimed=m.claimed, voted=m.voted, comments=m.comments,
                       progress=m.progress, resolved=m.resolved,
                       satisfaction=rate_text(lang, "satisfaction", m.satisfaction)))
    if not rows:
        lines.append(t(lang, "members.none"))
    return "\n".join(lines)


def members(ctx: Context, args: str) -> None:
    """/members [period] — 履职清单, for coordinators."""
    require_role(ctx, Role.COORDINATOR, "members")
    period, _, _ = _period_and_grid(ctx, args)
    ctx.reply_text(members_text(ctx.lang, ctx.session, period), kind="reply:members")
