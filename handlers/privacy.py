"""Masking personal numbers in anything posted to groups or exported.

Mainland mobile numbers (also written with spaces or dashes), 18-digit resident ID numbers,
landlines and car plates are masked except for a few characters; the original text stays in the database
for coordinators.
"""
from __future__ import annotations

import re

_ID = re.compile(r"(?<![0-9])([1-9][0-9]{5})(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}([0-9Xx])(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])((?:\+?86[ -]?)?)(1[3-9][0-9])[ -]?([0-9]{4})[ -]?([0-9]{4})(?![0-9])")
# Mainland plates: province, letter, 5 (or 6, new-energy) letters/digits, e.g. 浙A·D12345
_PLATE = re.compile(r"([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼])\s*([A-Z])[·•.\s-]?"
                    r"([A-HJ-NP-Z0-9]{3,4})([A-HJ-NP-Z0-9]{2})(?![A-Za-z0-9])")
_LANDLINE = re.compile(r"(?<![0-9])(0[0-9]{2,3})-([0-9]{7,8})(?![0-9])")


def mask(text: str) -> str:
    """``"电话 139 0000 5621"`` → ``"电话 139****5621"``."""
    text = _ID.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}{m.group(2)}****{m.group(4)}", text)
    text = _PLATE.sub(lambda m: f"{m.group(1)}{m.group(2)}·{'*' * len(m.group(3))}{m.group(4)}", text)
    return _LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(2)[-2:]}", text)


def summary(text: str, limit: int = 300) -> str:
    """A masked, one-screen version of a report for cards and notices."""
    text = mask(" ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"
