"""Text for analysis: Simplified script, half-width, no emoji, no tag, mainland wording.

The original text is always kept for the record; this is only what the analysers read.
OpenCC's ``tw2sp`` converts Traditional (Taiwan and Hong Kong) script and phrases; a small
table maps regional words OpenCC leaves alone (升降机 → 电梯, 瓦斯 → 燃气, 停车格 → 车位).
"""
from __future__ import annotations

import re
import unicodedata

import opencc

#: Regional words → mainland ones (OpenCC turns the HK 𨋢 into 䢂 before this table runs).
REGIONAL = {
    "升降机": "电梯", "𨋢": "电梯", "䢂": "电梯", "瓦斯": "燃气", "煤气": "燃气", "停车格": "车位", "泊车": "停车",
    "机车": "电动车", "冷气": "空调", "垃圾车": "垃圾清运车", "行人路": "人行道", "马路": "道路",
    "点算": "怎么办", "搵": "找", "睇": "看", "唔": "不", "嘅": "的", "咗": "了", "冇": "没有",
    "𠮶": "那", "嗰": "那", "啲": "些", "乜": "什么", "咁": "这么", "佢": "他", "哋": "们",
}
_TAG = re.compile(r"^\s*[/／]report\b|[#＃](?:报事|報事|建议|建議|求助|投诉|投訴)", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def _is_emoji(ch: str) -> bool:
    code = ord(ch)
    return (unicodedata.category(ch) in ("So", "Sk", "Cs", "Co") or 0xFE00 <= code <= 0xFE0F
            or code in (0x200D, 0x20E3) or 0x1F000 <= code <= 0x1FAFF)


class Normalizer:
    def __init__(self, tags: tuple[str, ...] = (), config: str = "tw2sp") -> None:
        self._convert = opencc.OpenCC(f"{config}.json").convert
        extra = [re.escape(t.lstrip("#＃")) for t in tags if t.strip("#＃")]
        self._tag = re.compile(_TAG.pattern + (r"|[#＃](?:" + "|".join(extra) + ")" if extra else ""),
                               re.IGNORECASE)
        self._regional = re.compile("|".join(sorted(map(re.escape, REGIONAL), key=len, reverse=True)))

    def __call__(self, text: str) -> str:
        text = self._tag.sub(" ", text)
        text = "".join(" " if _is_emoji(ch) else ch for ch in text)
        text = unicodedata.normalize("NFKC", text)
        text = self._convert(text)
        text = self._regional.sub(lambda m: REGIONAL[m.group(0)], text)
        return _SPACES.sub(" ", text).strip().lower()
