"""Planned faults: the next N calls of a method fail, answer slowly, or lose their connection."""
from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus

from .base import ApiError

DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass
class Fault:
    kind: str                       # "fail" | "slow" | "drop" | "pass" (no fault: counts calls off)
    remaining: int
    error: ApiError | None = None   # for "fail"
    seconds: float = 0.0            # for "slow"


def make_error(code: int, retry_after: int | None, description: str | None) -> ApiError:
    if code == 429:
        retry_after = 1 if retry_after is None else retry_after
        description = description or f"Too Many Requests: retry after {retry_after}"
    if description is None:
        try:
            description = DEFAULT_DESCRIPTIONS.get(code) or HTTPStatus(code).phrase
        except ValueError:
            description = f"Error {code}"
    return ApiError(code, description, retry_after)


class Faults:
    """Per method, a queue of faults; each covers its next `remaining` calls, in order."""

    def __init__(self, canonical) -> None:
        self._canonical = canonical
        self._queues: dict[str, list[Fault]] = {}

    def add(self, method: str, fault: Fault) -> None:
        name = self._canonical(method)
        if name is None:
            raise ValueError(f"{method!r} is not a Bot API method")
        if fault.remaining < 1:
            raise ValueError("times must be at least 1")
        self._queues.setdefault(name, []).append(fault)

    def take(self, method: str) -> Fault | None:
        queue = self._queues.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining == 0:
            queue.pop(0)
        return None if fault.kind == "pass" else fault

    def pending(self) -> dict[str, int]:
        """Faults not yet used up, by method (for diagnostics)."""
        return {m: sum(f.remaining for f in q) for m, q in self._queues.items() if q}
