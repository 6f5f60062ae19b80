"""The WeChat adapter: the real ``wechaty.Wechaty`` on a puppet, supervised, feeding the host.

``Wechaty.start()`` is never called: it hides failures (prints and returns, calls
``loop.stop()`` on a puppet error, retries every 60 s, blocks forever on a gateway that hangs).
The runtime does the same three steps itself in a task (``init_puppet``,
``init_puppet_event_bridge``, ``puppet.start()``, which blocks while connected) and waits for
the ``login`` event with a time limit: a failure or a time-out at start-up is a
``WeChatStartError`` with a one-line message, so ``shangliang run`` stops with it. A stream
lost later is reconnected with a fresh puppet and growing pauses, and logged.

Every message for the bot is stored in the inbox before it is handled and handled from the
stored payload; a message stored before (a redelivery, also after a restart) is skipped, and
what a crash left stored and unhandled is handled at the next start.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from handlers.capabilities import Capabilities

from ..bootstrap import App
from ..config import ConfigError
from ..delivery.core import DeliveryCore
from ..host import Host
from ..platforms import WECHAT
from . import compat, translate
from .transport import WeChatTransport

log = logging.getLogger(__name__)
PLATFORM = "wechat"
CAPS = WECHAT  # text only: no buttons, polls, edits or topics (bot/platforms.py)
CAPABILITIES = Capabilities({PLATFORM: CAPS})


class WeChatStartError(ConfigError):
    """The WeChat connection could not be started (the message is one line for the operator).

    A ``ConfigError`` so that ``shangliang run`` prints it and exits non-zero as it does for
    a wrong configuration: a wrong token or endpoint is the usual cause."""


@dataclass(frozen=True)
class WeChatSettings:
    """How the adapter connects and sends (``[wechat]`` in the config, once it is parsed)."""

    start_timeout: float = 60.0      # seconds from start to login (a QR scan may be needed)
    stop_timeout: float = 10.0
    max_text: int = CAPS.max_text    # longer texts go out in parts
    send_pause: float = 1.0          # seconds between two sends
    send_timeout: float = 30.0
    retry_seconds: float = 10.0      # a failed send is tried again after this long
    reconnect_first: float = 1.0     # pause before the first reconnect; doubles up to:
    reconnect_max: float = 300.0
    cache_dir: Path = Path("data/wechaty")  # wechaty's own files (CACHE_DIR)
    tick_seconds: float = 5.0


def service_puppet_factory(token: str | None, endpoint: str | None) -> Callable[[], object]:
    """Puppets for a wechaty puppet service (the gateway), each with its own options."""
    def make():
        import warnings
        from wechaty_puppet.schemas.puppet import PuppetOptions
        from wechaty_puppet_service import PuppetService
        with warnings.catch_warnings():  # it builds pyee's deprecated top-level AsyncIOEventEmitter
            warnings.simplefilter("ignore", DeprecationWarning)
            return PuppetService(PuppetOptions(token=token, end_point=endpoint))
    return make


class WeChatRuntime:
    platform = PLATFORM
    caps = CAPS

    def __init__(self, app: App, *, puppet_factory: Callable[[], object], host: Host | None = None,
                 settings: WeChatSettings = WeChatSettings(), deliver: bool = True) -> None:
        self.app = app
        self.settings = settings
        self.host = host or Host(app, deliver=deliver, tick_seconds=settings.tick_seconds)
        self.inbox = self.host.inbox
        self.puppet_factory = puppet_factory
        self.transport = WeChatTransport(None, max_text=settings.max_text, pause=settings.send_pause,
                                         retry_seconds=settings.retry_seconds, send_timeout=settings.send_timeout,
                                         language=app.config.settings.language)
        self.bot = None        # the Wechaty of the current connection
        self.puppet = None
        self._stream: asyncio.Task | None = None
        self._supervisor: asyncio.Task | None = None
        self._handling: set[asyncio.Task] = set()
        self.reconnects = 0
        self.received = 0      # message events Wechaty passed on (handled, skipped or not for the bot)
        self._wechaty = None

    @property
    def pump(self) -> DeliveryCore | None:
        return self.host.cores.get(self.platform)

    # --- life cycle -----------------------------------------------------------------------
    async def start(self) -> None:
        """Connect and log in (or raise ``WeChatStartError``), handle what a crash left, send."""
        try:
            self._wechaty = compat.load(self.settings.cache_dir)
        except compat.WeChatCompatError as exc:
            raise WeChatStartError(str(exc)) from None
        await self._connect()
        try:
            await self.restore()
        except BaseException:
            await self._disconnect()
            raise
        await self.host.attach(self.transport)
        self._supervisor = asyncio.create_task(self._supervise(), name="wechat-supervisor")
        log.info("WeChat: logged in as %s", self.puppet.self_id())

    async def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)
            self._supervisor = None
        await self._disconnect(graceful=True)
        if self._handling:  # messages being handled finish (their updates are stored anyway)
            await asyncio.wait(set(self._handling), timeout=self.settings.stop_timeout)
        await self.host.detach(self.platform)

    async def _connect(self) -> None:
        """One connection: a fresh puppet and Wechaty, up to the login, within the time limit."""
        try:
            puppet = self.puppet_factory()
            bot = compat.new_wechaty(puppet)
        except Exception as exc:
            raise WeChatStartError(f"cannot set up the WeChat puppet: {_one_line(exc)}") from None
        logged_in = asyncio.Event()
        bot.on("login", lambda contact: logged_in.set())
        bot.on("logout", lambda contact: log.error("WeChat: logged out (%s); sends wait for a new login", contact))
        bot.on("scan", lambda qr, status, data=None: log.warning(
            "WeChat: login needs a QR scan (%s): https://wechaty.js.org/qrcode/%s", status, qr))
        bot.on("error", lambda error: log.error("WeChat: %s", error))
        bot.on("message", self._on_message)
        stream = asyncio.create_task(self._run(bot), name="wechat-stream")
        login = asyncio.create_task(logged_in.wait())
        done, _ = await asyncio.wait({stream, login}, timeout=self.settings.start_timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if login not in done:
            login.cancel()
            if stream in done:
                error = stream.exception()
                reason = (f"the WeChat gateway failed: {_one_line(error)}" if error is not None
                          else "the WeChat event stream ended before the login")
            else:
                reason = f"no login from the WeChat gateway within {self.settings.start_timeout:g} s"
            await self._teardown(bot, puppet, stream)
            raise WeChatStartError(reason)
        self.bot, self.puppet, self._stream = bot, puppet, stream
        self.transport.puppet = puppet

    async def _run(self, bot) -> None:
        """What ``Wechaty.start()`` does, without its error handling: returns or raises when
        the connection ends."""
        await bot.init_puppet()
        compat.isolate_caches(bot)
        await bot.init_puppet_event_bridge(bot.puppet)
        await bot.puppet.start()

    async def _supervise(self) -> None:
        """Wait for the stream to end; then reconnect, pausing longer after each failure."""
        while True:
            try:
                await self._stream
                reason = "the event stream ended"
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                reason = _one_line(exc)
            log.warning("WeChat: connection lost (%s); reconnecting", reason)
            try:
                await self._disconnect()
            except Exception:
                log.exception("WeChat: closing the lost connection failed; reconnecting anyway")
            pause = self.settings.reconnect_first
            while True:
                await asyncio.sleep(pause)
                try:
                    await self._connect()
                    break
                except WeChatStartError as exc:
                    log.error("WeChat: reconnecting failed (%s); next try in %g s", exc,
                              min(pause * 2, self.settings.reconnect_max))
                    pause = min(pause * 2, self.settings.reconnect_max)
            self.reconnects += 1
            log.warning("WeChat: reconnected")
            try:  # a database hiccup here must not end the supervisor: the next loss would go unnoticed
                await self.restore()
            except Exception:
                log.exception("WeChat: handling the messages stored before the reconnect failed; "
                              "they are handled at the next start")

    async def _disconnect(self, *, graceful: bool = False) -> None:
        bot, puppet, stream = self.bot, self.puppet, self._stream
        self.bot = self.puppet = self._stream = None
        self.transport.puppet = None
        if bot is not None:
            await self._teardown(bot, puppet, stream, graceful=graceful and stream is not None and not stream.done())

    async def _teardown(self, bot, puppet, stream: asyncio.Task | None, *, graceful: bool = False) -> None:
        """Stop the puppet and end the stream task, each within ``stop_timeout``.

        Only a connection that works is stopped gracefully (the puppet tells the gateway);
        otherwise the channel is closed first, since a gateway that hangs would hang the stop.
        """
        if not graceful:
            compat.close_channel(puppet)
        try:
            await asyncio.wait_for(puppet.stop(), timeout=self.settings.stop_timeout)
        except Exception as exc:
            log.warning("WeChat: stopping the puppet failed: %s", _one_line(exc) if str(exc) else type(exc).__name__)
        compat.close_channel(puppet)
        compat.shutdown_scheduler(bot)
        bot.remove_all_listeners()
        for _ in range(2):  # a second cancel interrupts what the puppet awaits in a finally
            if stream is None or stream.done():
                break
            stream.cancel()
            await asyncio.wait({stream}, timeout=self.settings.stop_timeout / 2)
        if stream is not None and not stream.done():
            log.warning("WeChat: the old connection did not end; left behind")
        elif stream is not None and not stream.cancelled():
            stream.exception()  # retrieved: logged by the caller if it mattered

    # --- messages -------------------------------------------------------------------------
    async def _on_message(self, message) -> None:
        """A message event from Wechaty (run as its own task): store, then handle."""
        task = asyncio.current_task()
        self._handling.add(task)
        try:
            bot = self.bot
            if bot is None:
                return
            payload = await translate.payload_of(message, bot.puppet.self_id(), bot.user_self().name)
            if translate.from_payload(payload, self.app.config.settings.report_tags) is None:
                return  # not for the bot: neither stored nor handled
            if not await self.inbox.store(PLATFORM, payload["id"], payload):
                log.info("WeChat message %s was stored before; not handled again", payload["id"])
                return
            await self.handle_payload(payload)
        except Exception:
            log.exception("WeChat: handling a message failed")
        finally:
            self.received += 1
            self._handling.discard(task)

    async def handle_payload(self, payload: dict):
        """Handle one stored message; marks it handled when no command did."""
        incoming = translate.from_payload(payload, self.app.config.settings.report_tags)
        result = None
        if incoming is not None:
            result = await self.host.handle(dataclasses.replace(incoming, update_id=payload["id"]))
        await self.inbox.settle(PLATFORM, payload["id"])
        return result

    async def restore(self) -> int:
        """Handle the messages stored but not handled before the last stop; return how many."""
        payloads = await self.inbox.pending(PLATFORM)
        if payloads:
            log.warning("%d WeChat messages received before the last stop were not handled yet: handling them now",
                        len(payloads))
        for payload in payloads:
            await self.handle_payload(payload)
        return len(payloads)


def _one_line(error: BaseException | None) -> str:
    if error is None:
        return "unknown error"
    text = " ".join(str(error).split()) or type(error).__name__
    return f"{type(error).__name__}: {text}" if text != type(error).__name__ else text
