"""Every work-around python-wechaty needs, in one place, for exactly the versions pinned here.

The pins match the ``wechat`` extra in pyproject.toml (checked with Python 3.11, see
``PLATFORM-NOTES.md``). Each shim below says what it works around; when a pin moves, re-check
each one against the new source and update ``EXPECTED``. ``load()`` applies them all once and
returns the ``wechaty`` module; nothing else in the project imports ``wechaty`` directly.
"""
from __future__ import annotations

import importlib.metadata
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

#: exact pins: the shims below were written against these sources
EXPECTED = {
    "wechaty": "0.10.7",
    "wechaty-puppet": "0.4.23",
    "wechaty-puppet-service": "0.8.10",
    "wechaty-grpc": "0.20.19",
    "betterproto": "1.2.5",
    "grpclib": "0.4.9",
}
#: ranges: (first major.minor allowed, first major version refused)
RANGES = {
    "pyee": ((11, 0), 12),      # AsyncIOEventEmitter as wechaty 0.10.7 uses it
    "urllib3": ((1, 26), 2),    # wechaty's requests/PyGithub pins need urllib3 1.x
}
INSTALL_HINT = "install the WeChat extra: .venv/bin/pip install -e '.[wechat]'"


class WeChatCompatError(RuntimeError):
    """The installed wechaty packages are not the versions the shims were written for."""


def check_versions(version: Callable[[str], str] = importlib.metadata.version) -> None:
    """Raise ``WeChatCompatError`` naming each package whose installed version differs."""
    wrong: list[str] = []
    for name, expected in EXPECTED.items():
        installed = _installed(version, name)
        if installed != expected:
            wrong.append(f"{name}=={expected} (installed: {installed or 'missing'})")
    for name, (low, high) in RANGES.items():
        installed = _installed(version, name)
        wanted = f"{name}>={low[0]}.{low[1]},<{high}"
        if installed is None or not _within(installed, low, high):
            wrong.append(f"{wanted} (installed: {installed or 'missing'})")
    if wrong:
        raise WeChatCompatError("the WeChat adapter needs " + "; ".join(wrong) + f" — {INSTALL_HINT}")


def _installed(version: Callable[[str], str], name: str) -> str | None:
    try:
        return version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _within(installed: str, low: tuple[int, int], high: int) -> bool:
    try:
        parts = tuple(int(p) for p in installed.split(".")[:2])
    except ValueError:
        return False
    return low <= parts and parts[0] < high


_loaded: ModuleType | None = None


def load(cache_dir: str | Path) -> ModuleType:
    """Check the versions, apply the shims, import and return ``wechaty`` (once per process)."""
    global _loaded
    # wechaty writes its job store, payload caches and plugin folders under $CACHE_DIR
    # (default ./.wechaty in the working directory). The job store path is fixed when
    # wechaty.schema / wechaty.plugin are first imported, so this must come before the import;
    # the env variable stays set because the other paths are read lazily.
    folder = Path(cache_dir).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if _loaded is not None:
        if os.environ.get("CACHE_DIR") != str(folder):
            warnings.warn(f"wechaty was loaded with CACHE_DIR={os.environ.get('CACHE_DIR')}; "
                          f"{folder} is not used", RuntimeWarning, stacklevel=2)
        return _loaded
    check_versions()
    os.environ["CACHE_DIR"] = str(folder)
    # wechaty's loggers print every received message (text included) at INFO, to stderr and
    # not through our logging; anonymous reports arrive as messages: keep them at warnings.
    os.environ.setdefault("WECHATY_LOG", "warn")
    # wechaty-puppet's PuppetOptions is an eq=True dataclass, hence unhashable; Python 3.11's
    # dataclasses then refuse it as the default of WechatyOptions.puppet_options ("mutable
    # default") and `import wechaty` fails. Give it identity hashing before the import.
    # (That default instance is shared by every WechatyOptions and wechaty writes the token
    # into it: ``options()`` below always passes a fresh one.)
    from wechaty_puppet.schemas.puppet import PuppetOptions
    PuppetOptions.__hash__ = object.__hash__  # type: ignore[method-assign]
    with warnings.catch_warnings():
        # wechaty.plugin imports telnetlib (deprecated in 3.11) for its port check
        warnings.simplefilter("ignore", DeprecationWarning)
        import wechaty
    # at every login the plugin manager warns that no plugin registered a web view (we use none)
    import logging
    logging.getLogger("wechaty.plugin").setLevel(logging.ERROR)
    # PuppetService prints the token in warnings ("there are endpoint<…> and token<…>",
    # "two tokens from options[adopted]<…> and environment<…>"): it must never reach a log
    for name in ("PuppetService", "wechaty", "wechaty_puppet", "wechaty_puppet_service", "Wechaty"):
        logging.getLogger(name).addFilter(_no_token)
    _loaded = wechaty
    return wechaty


def _no_token(record) -> bool:
    """Drop any wechaty log line that names a token, whatever its wording."""
    try:
        text = record.getMessage()
    except Exception:  # a malformed record: judge its bare message
        text = str(record.msg)
    return "token" not in text.lower()


def options(puppet) -> object:
    """``WechatyOptions`` for a puppet instance, with every default that bites replaced."""
    if _loaded is None:
        raise RuntimeError("call compat.load() first")
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from wechaty_puppet.schemas.puppet import PuppetOptions
    return _loaded.WechatyOptions(
        puppet=puppet,                   # an instance: Wechaty uses it as is (no module loading)
        puppet_options=PuppetOptions(),  # never the shared default instance
        # at login the plugin manager telnets 127.0.0.1:<port> and fails if something listens
        # there (5000 by default, often taken); port 0 can never be "in use"
        host="127.0.0.1",
        port=0,
        # the default scheduler keeps jobs in sqlite under CACHE_DIR and is never shut down by
        # Wechaty.stop(): an in-memory one, which ``shutdown_scheduler`` stops
        scheduler=AsyncIOScheduler(),
    )


def new_wechaty(puppet):
    """The real ``wechaty.Wechaty`` on ``puppet``, with ``options(puppet)``."""
    with warnings.catch_warnings():
        # Wechaty subclasses pyee's deprecated top-level AsyncIOEventEmitter alias (pyee 11)
        warnings.simplefilter("ignore", DeprecationWarning)
        return _loaded.Wechaty(options(puppet))


def shutdown_scheduler(bot) -> None:
    """Stop the scheduler the plugin manager started at login (Wechaty.stop() leaves it running)."""
    scheduler = getattr(getattr(bot, "_plugin_manager", None), "scheduler", None)
    if scheduler is not None and getattr(scheduler, "running", False):
        scheduler.shutdown(wait=False)


def forget_seen_messages() -> None:
    """Wechaty drops message ids it has seen in this process (a process-wide set); the inbox
    does the real de-duplication. Tests call this to act as a restarted process would."""
    from wechaty.utils.async_helper import SingleIdContainer
    SingleIdContainer._instance = None


def isolate_caches(bot) -> None:
    """Give this Wechaty's contact, room and tag classes caches of their own.

    ``Contact._pool``, ``Room._pool`` and ``Tag._pool`` are class attributes of wechaty's base
    classes, so the per-instance subclasses ``init_puppet()`` makes all share one process-wide
    cache: after a reconnect (or in the next test) ``Contact.load`` would return objects bound
    to the old, stopped puppet. Call this right after ``bot.init_puppet()``.
    """
    for name in ("Contact", "ContactSelf", "Room", "Tag"):
        cls = getattr(bot, name, None)
        if cls is not None:
            cls._pool = {}


def close_channel(puppet) -> None:
    """Close a ``PuppetService``'s gRPC channel, failing every call still waiting on it.

    ``PuppetService.stop()`` closes it only after its own ``stop`` call to the gateway
    returned, which never happens when the gateway hangs; and ``PuppetService.start()`` awaits
    a new ``start`` call in a ``finally`` after a cancelled ``stop``, so cancelling the start
    task alone does not end it either. (No-op for puppets without a channel.)
    """
    channel = getattr(puppet, "channel", None)
    if channel is not None:
        try:
            channel.close()
        finally:
            puppet.channel = None
            if hasattr(puppet, "_puppet_stub"):
                puppet._puppet_stub = None  # else stop() dials the gateway again through it
