"""Masking personal numbers in anything that leaves the coordinators' own chats, or is exported.

Mainland mobile numbers and landlines in whatever form people type them (full-width digits
from Chinese input methods, spaces, dashes, dots, brackets, ``+86``/``0086``), resident ID
numbers (18 digits, also written in groups, and the old 15-digit ones) and car plates
(upper or lower case) are masked except for a few characters; the original text stays in
the database for coordinators.

Numbers are found on a *folded* copy of the text in which full-width forms are turned into
their ASCII twins (NFKC, one character for one character) and odd dashes and spaces into
plain ones, so every position in the copy is the same position in the original: masked
spans are written in plain ASCII (``139****5621``), everything else is kept as it was typed.
Phone numbers are found by ``phonenumbers`` (libphonenumber), backed by regexes for mobile
and landline shapes it might call invalid; ID numbers and plates by regexes. Concern numbers
(``#12``), dates, times, money, building numbers, post codes and service hotlines (400/800)
are left alone.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Callable, Iterator

import phonenumbers
from phonenumbers import PhoneNumberType

# --- folding -------------------------------------------------------------------------------
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"), "-")
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f"), " ")


def _fold_char(ch: str) -> str:
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E or code == 0x3000:  # full-width ASCII and the ideographic space
        folded = unicodedata.normalize("NFKC", ch)
        return folded if len(folded) == 1 else ch
    return _DASHES.get(code) or _SPACES.get(code) or ch


def fold(text: str) -> str:
    """The text with full-width digits, letters and punctuation as ASCII; same length, same positions."""
    if text.isascii():
        return text
    return "".join(_fold_char(ch) for ch in text)


# --- what is personal ----------------------------------------------------------------------
_SEP = r"[ -]?"
# 18 digits: region(6) birth date(8) sequence(3) check; groups may be split by a space or dash
_ID18 = re.compile(r"(?<![0-9])([1-9][0-9]{5})" + _SEP + r"(?:19|20)[0-9]{2}" + _SEP
                   + r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])" + _SEP + r"[0-9]{3}([0-9Xx])(?![0-9A-Za-z])")
# 15 digits (issued before 1999): region(6) birth date yymmdd(6) sequence(3)
_ID15 = re.compile(r"(?<![0-9])([1-9][0-9]{5})" + _SEP + r"[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
                   + _SEP + r"[0-9]{2}([0-9])(?![0-9A-Za-z])")
# what phonenumbers might reject (a range it does not know yet): a mainland mobile shape
_MOBILE = re.compile(r"(?<![0-9+])((?:(?:\+|00)?86[ -]?)?)(1[3-9][0-9])[ .-]?([0-9]{4})[ .-]?([0-9]{4})(?![0-9])")
# ... and a landline with its area code: 0571-88886666, 0571 88886666, (0571)88886666
# (010 and 02x are followed by 8 digits, the other area codes 0xxx by 7 or 8)
_LANDLINE = re.compile(r"(?<![0-9])\(?(?:(010|02[0-9])\)?[ .-]?([0-9]{4}[ .-]?[0-9]{4})"
                       r"|(0[3-9][0-9]{2})\)?[ .-]?([0-9]{3,4}[ .-]?[0-9]{4}))(?![0-9])")
# Mainland plates: province, letter, 5 (or 6, new-energy) letters/digits with at least 3 digits,
# e.g. 浙A·D12345, 京a12345
_PLATE = re.compile(r"([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼])\s*([A-Z])[·•・‧.\s-]?"
                    r"(?=(?:[A-Z]*[0-9]){3})([A-HJ-NP-Z0-9]{3,4})([A-HJ-NP-Z0-9]{2})(?![A-Za-z0-9])", re.IGNORECASE)
# numbers that belong to companies and services, not people (400/800 hotlines and the like)
_NOT_PERSONAL = {PhoneNumberType.TOLL_FREE, PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST,
                 PhoneNumberType.UAN, PhoneNumberType.VOICEMAIL}
_BLANK = "□"  # stands in for a span already masked, so a later finder does not see its digits


def _id(m: re.Match) -> str:
    """Region code, then the birth date and sequence hidden, then the last character."""
    return f"{m.group(1)}********{m.group(2)}"


def _lead(raw: str, national_digits: int) -> str:
    """What was typed before the last ``national_digits`` digits (``+86 ``, ``(+86)``, ``0``)."""
    seen = 0
    for i in range(len(raw) - 1, -1, -1):
        if raw[i].isdigit():
            seen += 1
            if seen == national_digits:
                return raw[:i]
    return ""


def _country(lead: str) -> str:
    """A typed country prefix, tidied: ``+86`` → ``+86 ``; ``(+86)`` stays."""
    lead = lead.rstrip(" -.(")
    if not any(ch.isdigit() for ch in lead):
        return ""
    return lead if lead.endswith(")") else lead + " "


def _mobile_shape(lead: str, national: str) -> str:
    return f"{_country(lead)}{national[:3]}****{national[-4:]}"


def _landline_shape(lead: str, area: str, national: str) -> str:
    national_only = "".join(ch for ch in lead if ch.isdigit()) in ("", "0")
    return f"{'0' if national_only else _country(lead)}{area}-****{national[-2:]}"


def _phones(folded: str) -> Iterator[tuple[int, int, str]]:
    for match in phonenumbers.PhoneNumberMatcher(folded, "CN"):
        number = match.number
        kind = phonenumbers.number_type(number)
        if kind in _NOT_PERSONAL:
            continue
        national = phonenumbers.national_significant_number(number)
        lead = _lead(match.raw_string, len(national))
        if number.country_code != 86:
            shown = f"+{number.country_code} ****{national[-2:]}"
        elif kind == PhoneNumberType.MOBILE or (national[:1] == "1" and len(national) == 11):
            shown = _mobile_shape(lead, national)
        else:
            area = national[:phonenumbers.length_of_geographical_area_code(number) or 3]
            shown = _landline_shape(lead, area, national)
        yield match.start, match.end, shown


def _regex(pattern: re.Pattern, shape: Callable[[re.Match], str]) -> Callable[[str], Iterator[tuple[int, int, str]]]:
    def find(folded: str) -> Iterator[tuple[int, int, str]]:
        for m in pattern.finditer(folded):
            yield m.start(), m.end(), shape(m)
    return find


def _mobile_regex(m: re.Match) -> str:
    return _mobile_shape(m.group(1), m.group(2) + m.group(3) + m.group(4))


def _landline_regex(m: re.Match) -> str:
    area, number = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return f"{area}-****{number[-2:]}"


def _plate(m: re.Match) -> str:
    return f"{m.group(1)}{m.group(2).upper()}·{'*' * len(m.group(3))}{m.group(4).upper()}"


# in this order: a span one finder took is hidden from the next ones
_FINDERS = (_regex(_ID18, _id), _regex(_ID15, _id), _phones, _regex(_MOBILE, _mobile_regex),
            _regex(_LANDLINE, _landline_regex), _regex(_PLATE, _plate))


def spans(text: str) -> list[tuple[int, int, str]]:
    """Where ``text`` holds a personal number: ``(start, end, masked form)``, in order."""
    if not text or not any(ch.isdigit() for ch in text):
        return []
    folded = fold(text)
    found: list[tuple[int, int, str]] = []
    for finder in _FINDERS:
        new = list(finder(folded))
        for start, end, shown in new:
            found.append((start, end, shown))
            folded = folded[:start] + _BLANK * (end - start) + folded[end:]
    return sorted(found)


@lru_cache(maxsize=4096)
def mask(text: str) -> str:
    """``"电话 139 0000 5621"`` → ``"电话 139****5621"``; the rest of the text as it was.

    Cached: one report's text is masked for each chat and person it goes to.
    """
    found = spans(text)
    if not found:
        return text
    out, at = [], 0
    for start, end, shown in found:
        out.append(text[at:start])
        out.append(shown)
        at = end
    out.append(text[at:])
    return "".join(out)


def summary(text: str, limit: int = 300, *, masked: bool = True) -> str:
    """A one-screen, one-line version of a report for cards and notices.

    Masked by default (masked before it is cut, so no partial number is left at the cut).
    ``masked=False`` keeps the numbers for whoever may see them (the recipient's text is
    masked when it is sent) and never cuts inside one, so masking it later hides it whole.
    """
    text = " ".join(text.split())
    if masked:
        text = mask(text)
    if len(text) <= limit:
        return text
    cut = limit - 1
    if not masked:
        for start, end, _ in spans(text):
            if start < cut < end:
                cut = start
                break
    return text[:cut].rstrip() + "…" if not masked else text[:cut] + "…"
