"""Shared pieces: the recorded Call, uploads, the two kinds of refusal and the method registry."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Call:
    """One request the bot made: canonical method name and its decoded parameters."""
    method: str
    params: dict[str, Any]
    answer: dict[str, Any] | None = field(default=None, repr=False)  # the envelope sent back
    at: float = field(default_factory=time.time, repr=False)  # when it arrived (seconds since the epoch)


@dataclass
class Upload:
    """A file part of a multipart request."""
    filename: str
    content_type: str
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)


class Violation(Exception):
    """The bot (or the sandbox itself) broke the spec: answered 400 "sandbox: …" and recorded."""


class NotImplementedMethod(Exception):
    """A method the spec knows but the sandbox does not implement: 501 and recorded."""


class ApiError(Exception):
    """A refusal real Telegram would give (chat not found, blocked, …); not a sandbox error."""

    def __init__(self, code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after

    def envelope(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def forbidden(description: str) -> ApiError:
    return ApiError(403, f"Forbidden: {description}")


Handler = Callable[..., Any]
METHODS: dict[str, Handler] = {}


def api(name: str) -> Callable[[Handler], Handler]:
    """Register `handler(sb, params) -> result` (sync or async) for Bot API method `name`."""
    def register(handler: Handler) -> Handler:
        METHODS[name] = handler
        return handler
    return register
