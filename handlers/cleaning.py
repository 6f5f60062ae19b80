"""Text as platforms deliver it, made safe to store and to match: the neutral edge.

A NUL byte cannot be stored in a PostgreSQL text column, and an unpaired surrogate cannot
be encoded as UTF-8 by any database driver: either would turn a resident's report into an
error. Both are removed (other control characters but newlines and tabs too); everything
else the person typed is kept as typed.
"""
from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean(text: str | None) -> str:
    """``text`` without NUL, other control characters (newlines and tabs stay) and lone surrogates."""
    return _UNSAFE.sub("", text or "")
