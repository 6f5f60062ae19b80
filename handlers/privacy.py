"""Masking personal numbers in anything posted to groups or exported.

Mainland mobile numbers (also written with spaces or dashes), 18-digit resident ID numbers
and landlines are masked except for a few digits; the original text stays in the database
for coordinators.
"""
from __future__ import annotations

import re

_ID = re.compile(r"(?<![0-9])([1-9][0-9]{5})(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}([0-9Xx])(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])((?:\+?86[ -]?)?)(1[3-9][0-9])[ -]?([0-9]{4})[ -]?([0-9]{4})(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])(0[0-9]{2,3})-([0-9]{7,8})(?![0-9])")


def mask(text: str) -> str:
    """``"电话 139 0000 5621"`` → ``"电话 139****5621"``."""
    text = _ID.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}{m.group(2)}****{m.group(4)}", text)
    return _LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(2)[-2:]}", text)


def summary(text: str, limit: int = 300) -> str:
    """A masked, one-screen version of a report for cards and notices."""
    text = mask(" ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"
