"""/export (the Excel ledger, sent privately) and /chart (a PNG of weekly figures).

The chart is made inside the command's transaction and stored with the outbox row that sends
it, so a failed command sends nothing and a sent file is never half-made. The ledger can be
large: the command schedules it (``handlers.ledger_job``) and the ticker builds and sends it.
"""
from __future__ import annotations

from datetime import timedelta

from storage import figures, files, queries
from storage.figures import Window

from . import charts, ledger_job
from .common import require_role
from .context import Context
from .lifecycle import Refused, Role
from .periods import Period
from .stats import period_of
from .texts import LANGUAGES, t

STATE_GROUPS = {"reported": "open", "claimed": "open", "decided": "open", "in_progress": "open", "reopened": "open",
                "deliberating": "deliberating", "notice": "deliberating", "resolved": "resolved", "closed": "resolved",
                "converted": "closed_other", "rejected": "closed_other", "withdrawn": "closed_other"}
CHART_WEEKS = 12


def export(ctx: Context, args: str) -> None:
    """/export [period] [匿名] — coordinators; the workbook goes to them privately."""
    require_role(ctx, Role.COORDINATOR, "export")
    assert ctx.chat is not None and ctx.actor is not None
    if (ctx.chat.kind != "private" and ctx.caps.needs_start(ctx.chat)
            and not queries.has_private_chat(ctx.session, ctx.actor.id, ctx.chat.platform)):
        raise Refused("refused.start_private_first", command="/export")  # else the file could not reach them
    words = args.split()
    hide = any(w in ("匿名", "hide", "--hide-reporters") for w in words)
    period = period_of(ctx, " ".join(w for w in words if w not in ("匿名", "hide", "--hide-reporters")))
    ledger_job.request(ctx, period, hide_reporters=hide)  # built by the ticker, sent privately when done
    if not ctx.quiet:
        ctx.reply("export.queued")


def chart(ctx: Context, args: str) -> None:
    """/chart [period] — members and coordinators; the last 12 weeks by default."""
    require_role(ctx, Role.MEMBER, "chart")
    if args.strip():
        period = period_of(ctx, args)
    else:
        today = ctx.now.astimezone(ctx.settings.zone).date()
        monday = today - timedelta(days=today.weekday())
        period = Period(monday - timedelta(weeks=CHART_WEEKS - 1), monday + timedelta(days=6), ctx.settings.zone)
    points = [_week(ctx, week) for week in period.weeks()]
    png = charts.render(points, labels(ctx.lang, period), fallback=labels("en", period),
                        font=ctx.settings.chart_font or None)
    file_id = files.save(ctx.session, name=f"chart-{period.label}.png", media_type=files.PNG, content=png, now=ctx.now)
    ctx.reply_text(t(ctx.lang, "chart.caption", period=period.label), kind="reply:chart", payload={"file": file_id})


def _week(ctx: Context, week: Period) -> charts.WeekPoint:
    window = Window(week.start, week.end)
    groups: dict[str, int] = {}
    for state, n in figures.by_state(ctx.session, window).items():
        groups[STATE_GROUPS.get(state, "open")] = groups.get(STATE_GROUPS.get(state, "open"), 0) + n
    return charts.WeekPoint(week.first, groups, figures.response(ctx.session, window, ctx.now),
                            figures.resolution(ctx.session, window, ctx.now), figures.satisfaction(ctx.session, window))


def labels(lang: str, period: Period) -> charts.ChartLabels:
    table = LANGUAGES.get(lang, LANGUAGES["zh"]).CHART
    return charts.ChartLabels(
        title=table["title"].format(period=period.label),
        concerns_axis=table["concerns_axis"], rates_axis=table["rates_axis"],
        states={k: table[k] for k in ("open", "deliberating", "resolved", "closed_other")},
        response=t(lang, "rate.response"), resolution=t(lang, "rate.resolution"),
        satisfaction=t(lang, "rate.satisfaction"), week=table["week"], no_data=table["no_data"])
