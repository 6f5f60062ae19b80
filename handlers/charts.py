"""Weekly charts for the coordinators' ``/chart`` command, rendered to PNG bytes.

Top panel: concerns reported per week, stacked by their current state group. Bottom panel:
response, resolution and satisfaction rates per week (a rate with denominator 0 is a gap).
matplotlib is imported lazily and only through ``Figure``/``FigureCanvasAgg`` (no pyplot, no
rcParams), so importing this module is cheap and leaves global state alone. Chinese labels
need a CJK font: ``find_cjk_font`` looks for one; without it ``render`` logs a WARNING and uses
the English ``fallback`` labels so no missing-glyph boxes appear.
"""
from __future__ import annotations

import functools
import glob
import io
import logging
import math
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

from storage.figures import Ratio as Rate

log = logging.getLogger(__name__)

GLYPH_TEST = "议事满意率响应解决"
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
                "WenQuanYi Zen Hei", "Droid Sans Fallback", "SimHei", "Microsoft YaHei", "PingFang SC",
                "AR PL UMing", "AR PL UKai", "Noto Serif CJK SC")
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.fonts", "~/.local/share/fonts", "/Library/Fonts",
             "/System/Library/Fonts", "C:/Windows/Fonts")
_CJK_FILE = re.compile(r"wqy|noto.*cjk|sourcehan|droidsansfallback|simhei|msyh|pingfang|uming|ukai", re.I)
_CJK_CHAR = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
INSTALL_HINT = ("install one (Debian/Ubuntu: `apt install fonts-noto-cjk` or `apt install fonts-wqy-microhei`) "
                "or set its path with the config key `[charts] font`")
STATE_COLOURS = {"open": "#f28e2b", "deliberating": "#4e79a7", "resolved": "#59a14f", "closed_other": "#9c9c9c"}
RATE_STYLE = (("response", "#4e79a7", "o"), ("resolution", "#59a14f", "s"), ("satisfaction", "#e15759", "^"))


@dataclass(frozen=True)
class WeekPoint:
    start: date
    by_state: dict[str, int]
    response: Rate
    resolution: Rate
    satisfaction: Rate


@dataclass(frozen=True)
class ChartLabels:
    title: str
    concerns_axis: str
    rates_axis: str
    states: dict[str, str]
    response: str
    resolution: str
    satisfaction: str
    week: str
    no_data: str


def _has_glyphs(path: str) -> bool:
    from matplotlib.ft2font import FT2Font
    try:
        font = FT2Font(path)
        return all(font.get_char_index(ord(ch)) != 0 for ch in GLYPH_TEST)
    except Exception:  # unreadable or unsupported file: not a candidate
        return False


def _candidates(extra: str | None) -> Iterator[str]:
    if extra and os.path.isfile(os.path.expanduser(extra)):
        yield os.path.expanduser(extra)
    elif extra:
        log.warning("configured chart font %s does not exist; looking for another CJK font", extra)
    from matplotlib import font_manager
    wanted = {name.lower() for name in CJK_FAMILIES}
    for entry in font_manager.fontManager.ttflist:
        if entry.name.lower() in wanted or any(entry.name.lower().startswith(name + " ") for name in wanted):
            yield entry.fname
    for folder in FONT_DIRS:
        for path in sorted(glob.glob(os.path.join(os.path.expanduser(folder), "**", "*"), recursive=True)):
            if path.lower().endswith((".ttf", ".ttc", ".otf")) and _CJK_FILE.search(os.path.basename(path)):
                yield path


@functools.lru_cache(maxsize=None)
def find_cjk_font(extra: str | None = None) -> str | None:
    """Path of a font file that has the glyphs for Chinese labels, or None."""
    seen: set[str] = set()
    for path in _candidates(extra):
        if path in seen:
            continue
        seen.add(path)
        if _has_glyphs(path):
            from matplotlib import font_manager
            if not any(entry.fname == path for entry in font_manager.fontManager.ttflist):
                font_manager.fontManager.addfont(path)
            log.info("charts use the CJK font %s", path)
            return path
        if extra and path == os.path.expanduser(extra):
            log.warning("configured chart font %s has no Chinese glyphs; looking for another", extra)
    return None


def _has_cjk(labels: ChartLabels) -> bool:
    texts = [labels.title, labels.concerns_axis, labels.rates_axis, labels.response, labels.resolution,
             labels.satisfaction, labels.week, labels.no_data, *labels.states.values()]
    return any(_CJK_CHAR.search(text) for text in texts)


def render(points: list[WeekPoint], labels: ChartLabels, *, fallback: ChartLabels | None = None,
           font: str | None = None) -> bytes:
    """The chart as PNG bytes (800x600). ``font`` is an optional font file tried first."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    path = find_cjk_font(font)
    if path is None and _has_cjk(labels):
        log.warning("no CJK font found, so the chart cannot show Chinese text; %s. %s", INSTALL_HINT,
                    "Using the English labels." if fallback else "Chinese characters will show as boxes.")
        labels = fallback or labels
    props = (lambda size: FontProperties(fname=path, size=size)) if path else (lambda size: FontProperties(size=size))

    fig = Figure(figsize=(8, 6), dpi=100)
    FigureCanvasAgg(fig)
    fig.suptitle(labels.title, fontproperties=props(16))
    if not points:
        fig.text(0.5, 0.5, labels.no_data, ha="center", va="center", color="#555555", fontproperties=props(16))
    else:
        _draw(fig, points, labels, props)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def _draw(fig: Figure, points: list[WeekPoint], labels: ChartLabels,
          props: Callable[[float], FontProperties]) -> None:
    from matplotlib.ticker import MaxNLocator
    top, bottom = fig.subplots(2, 1, sharex=True)
    xs = list(range(len(points)))
    keys = list(labels.states) + sorted({key for p in points for key in p.by_state} - set(labels.states))
    base = [0] * len(points)
    for key in keys:
        heights = [p.by_state.get(key, 0) for p in points]
        top.bar(xs, heights, bottom=base, width=0.6, label=labels.states.get(key, key),
                color=STATE_COLOURS.get(key, "#bab0ac"))
        base = [b + h for b, h in zip(base, heights)]
    highest = max(base, default=0)
    for x, total in zip(xs, base):
        if total:
            top.annotate(str(total), (x, total), xytext=(0, 2), textcoords="offset points", ha="center",
                         va="bottom", fontproperties=props(12))
    ymax = max(1, math.ceil(highest * 1.2))
    ticks = [t for t in MaxNLocator(nbins=5, integer=True).tick_values(0, ymax) if 0 <= t <= ymax]
    top.set_ylim(0, ymax)
    top.set_yticks(ticks, [str(int(t)) for t in ticks], fontproperties=props(12))
    top.set_title(labels.concerns_axis, loc="left", pad=30, fontproperties=props(14))

    for key, colour, marker in RATE_STYLE:
        values = [getattr(p, key).value for p in points]
        ys = [math.nan if v is None else v for v in values]
        bottom.plot(xs, ys, color=colour, marker=marker, markersize=8, linewidth=2, label=getattr(labels, key),
                    clip_on=False)
    bottom.set_ylim(0, 1)
    percents = [0, 0.25, 0.5, 0.75, 1]
    bottom.set_yticks(percents, [f"{round(v * 100)}%" for v in percents], fontproperties=props(12))
    bottom.set_title(labels.rates_axis, loc="left", pad=30, fontproperties=props(14))
    step = math.ceil(len(points) / 12)  # at most about 12 dates, so they never overlap
    dates = [p.start.strftime("%m-%d") if i % step == 0 else "" for i, p in enumerate(points)]
    bottom.set_xticks(xs, dates, fontproperties=props(12))
    bottom.set_xlabel(labels.week, fontproperties=props(13))
    pad = max(0.0, (4 - len(points)) / 2)  # a single week is not one huge bar
    bottom.set_xlim(-0.6 - pad, len(points) - 0.4 + pad)
    for ax in (top, bottom):
        ax.grid(axis="y", color="#dddddd", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.04), ncol=4, frameon=False, prop=props(12),
                  handlelength=1.5, columnspacing=1.2, borderaxespad=0.1, borderpad=0)
