"""The weekly summary to the coordinators and the monthly 履职清单 to the committee.

Both are timed rows scheduled by ``handlers.digest.ensure_scheduled`` (one per date, so a
restart never sends one twice); a row that fires late says so.
"""
from __future__ import annotations

from datetime import timedelta

from storage.models import ScheduledJob

from . import digest, stats
from .context import Context
from .periods import named


def weekly_job(ctx: Context, job: ScheduledJob) -> str:
    """Last Monday-to-Sunday's figures and rates, with what they mean."""
    lang, zone = ctx.settings.language, ctx.settings.zone
    if ctx.settings.weekly_day != job.due_at.astimezone(zone).weekday():  # turned off or moved since booked
        digest.ensure_scheduled(ctx.session, ctx.settings, ctx.now)
        return "off"
    period = named("last-week", job.due_at.astimezone(zone).date(), zone)
    summary = stats.summary(ctx.session, period, ctx.now)
    text = stats.render_summary(lang, summary, head="weekly.head")
    ctx.to_coordinators("digest.body", body=text + digest.late_mark(ctx, job))
    digest.ensure_scheduled(ctx.session, ctx.settings, ctx.now)
    return "sent"


def members_job(ctx: Context, job: ScheduledJob) -> str:
    """Last month's 履职清单, published to the committee group (公开晾晒)."""
    lang, zone = ctx.settings.language, ctx.settings.zone
    if not ctx.settings.members_monthly:  # turned off since it was booked
        return "off"
    last_day = job.due_at.astimezone(zone).date() - timedelta(days=1)
    period = named("month", last_day, zone)
    text = stats.members_text(lang, ctx.session, period)
    ctx.to_committee("digest.body", skip_chat=False, body=text + digest.late_mark(ctx, job))
    digest.ensure_scheduled(ctx.session, ctx.settings, ctx.now)
    return "sent"


