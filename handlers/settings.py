"""The community's rules as values: tags, deadlines, quorum, survey timing, digest time.

Loaded once at start-up by ``bot.config`` from TOML; these defaults follow the practice
described in the articles (小事小议、大事大议、急事速议).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from zoneinfo import ZoneInfo

SIZES = ("small", "big", "urgent")


@dataclass(frozen=True)
class Sla:
    """How soon a concern of one size must be first answered and resolved."""

    response: timedelta
    resolution: timedelta


def _default_sla() -> dict[str, Sla]:
    return {
        "small": Sla(timedelta(hours=24), timedelta(days=7)),
        "big": Sla(timedelta(hours=72), timedelta(days=30)),
        "urgent": Sla(timedelta(hours=2), timedelta(hours=24)),
    }


@dataclass(frozen=True)
class Settings:
    timezone: str = "Asia/Shanghai"
    language: str = "zh"
    report_tags: tuple[str, ...] = ("#报事", "#報事", "#建议", "#求助", "#投诉")
    anonymous_words: tuple[str, ...] = ("匿名", "anon", "anonymous")
    poll_duration: dict[str, timedelta] = field(default_factory=lambda: {
        "small": timedelta(hours=24), "big": timedelta(hours=72), "urgent": timedelta(hours=2)})
    poll_reminder_before: dict[str, timedelta] = field(default_factory=lambda: {
        "small": timedelta(hours=2), "big": timedelta(hours=24), "urgent": timedelta(minutes=30)})
    poll_options: tuple[str, ...] = ("同意", "反对", "需要再调研")
    quorum_share: float = 0.5
    flood_per_minute: int = 5  # reports (and supports) one person may post in a minute
    quorum_count: int | None = None      # a fixed quorum (voters) instead of quorum_share
    pass_threshold: float | None = None  # e.g. 0.667: the leading option needs ≥ 2/3 of votes cast
    hide_results: bool = False           # tallies shown only after the close
    public_notice: bool = False          # 张榜公示 of big matters' plans in the grid group
    notice_period: timedelta = timedelta(days=3)
    residents_vote: bool = False         # 居民表决 after the notice
    residents_vote_period: timedelta = timedelta(days=3)
    residents_quorum: int = 5            # residents who must vote
    review_reminder: bool = True         # 回头看: remind coordinators on a plan's review date
    survey_delay: timedelta = timedelta(hours=24)
    survey_reminder_after: timedelta = timedelta(days=3)
    survey_open_for: timedelta = timedelta(days=7)
    digest_time: time = time(8, 30)
    digest_when_quiet: bool = True
    weekly_day: int | None = 0           # weekly summary on this weekday (0 = Monday), None: none
    members_monthly: bool = False        # publish last month's 履职清单 to the committee on the 1st
    chart_font: str = ""                 # a font file with Chinese glyphs for charts ("" = look for one)
    sla: dict[str, Sla] = field(default_factory=_default_sla)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
