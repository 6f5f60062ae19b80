"""What the Telegram benches share: the local Bot API sandbox with every request timed on
arrival, a generated district bound to Telegram ids, and a bot as a separate process —
`shangliang run` (the operator's command) or PTB's minimal echo bot (bench/echo_bot.py).

The sandbox runs in the bench's own event loop; each bot is its own process, so neither
shares an interpreter (or a GIL) with the server it talks to. A bot's memory is its
``VmRSS`` from ``/proc/<pid>/status``.
"""
from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from sandbox.telegram import BotApiSandbox

from .community import MEMBERS, config_toml, grid_key, grid_name
from .corpus import Report
from .databases import Database

ROOT = Path(__file__).resolve().parents[1]
COMMITTEE, COORDINATORS = -1009000000001, -1009000000002
USER_IDS_FROM = 10_000_000


def grid_chat(n: int) -> int:
    """The Telegram id of grid ``n``'s residents' group."""
    return -1001000000000 - n


def sender_id(report: Report) -> int:
    grid, resident = report.sender[1:].split("-")
    return USER_IDS_FROM + int(grid) * 1000 + int(resident)


class TimedCalls(list):
    """The sandbox's request log, each request stamped (``perf_counter``) as it arrives."""

    def append(self, call) -> None:
        call.arrived = time.perf_counter()
        super().append(call)


class Answers:
    """Which user messages the bot has answered with a quoting message, and when the answer's
    request reached the sandbox (scanned incrementally: the log grows to thousands)."""

    def __init__(self, sb: BotApiSandbox) -> None:
        self.sb, self._next, self._open = sb, 0, []
        self.at: dict[tuple[int, int], float] = {}  # (chat id, quoted message id) -> arrival
        self.text: dict[tuple[int, int], str] = {}  # ... -> the answer's text

    def scan(self) -> dict[tuple[int, int], float]:
        calls = self.sb.calls
        self._open.extend(calls[self._next:])
        self._next = len(calls)
        waiting = []
        for call in self._open:
            if call.answer is None:
                waiting.append(call)
            elif call.method == "sendMessage" and call.answer.get("ok"):
                message = call.answer["result"]
                quoted = message.get("reply_to_message")
                key = (message["chat"]["id"], quoted["message_id"]) if quoted else None
                if key and key not in self.at:
                    self.at[key], self.text[key] = call.arrived, message.get("text", "")
        self._open = waiting
        return self.at


async def sandbox(grids: int) -> BotApiSandbox:
    """A started sandbox holding the district's groups (residents are added as they write)."""
    sb = BotApiSandbox()
    sb.calls = TimedCalls()
    await sb.start()
    for n in range(grids):
        sb.add_chat(grid_chat(n), "supergroup", title=f"{grid_name(n)}居民群")
    sb.add_chat(COMMITTEE, "supergroup", title="议事委员会")
    sb.add_chat(COORDINATORS, "supergroup", title="联络组")
    return sb


def apologies(answers: Answers, keys) -> int:
    """How many of these messages were answered with the bot's apology (an error, not a refusal)."""
    from handlers.texts import t
    apology = t("zh", "error.apology")
    return sum(1 for k in keys if answers.text.get(k) == apology)


def say(sb: BotApiSandbox, report: Report) -> tuple[int, int]:
    """The resident posts the report in their grid's group; (chat id, message id)."""
    uid = sender_id(report)
    if uid not in sb.world.users:
        sb.add_user(uid, report.name, language_code="zh-hans")
    chat = grid_chat(report.grid)
    return chat, sb.user_says(chat, uid, report.text)["message_id"]


def process_url(db: Database) -> str:
    """The database URL a separate process connects with (a PostgreSQL schema as its search_path)."""
    if not db.schema:
        return db.url
    url = make_url(db.url).update_query_dict({"options": f"-csearch_path={db.schema}"})
    return url.render_as_string(hide_password=False)


def write_config(folder: Path, grids: int, db: Database, sb: BotApiSandbox) -> Path:
    """bench/community.py's district, each chat and member bound to a sandbox id; no rate limiter
    (the echo bot has none either: this measures the bot, not Telegram's limits)."""
    text = config_toml(grids, process_url(db))
    for n in range(grids):
        text = _bind(text, f'[[chats]]\nkey = "{grid_key(n)}"\n', grid_chat(n))
    for key, chat in (("committee", COMMITTEE), ("coordinators", COORDINATORS)):
        text = _bind(text, f'[[chats]]\nkey = "{key}"\n', chat)
    for n, (handle, _) in enumerate([("ma", ""), *MEMBERS]):
        text = _bind(text, f'[[people]]\nhandle = "{handle}"\n', 9000 + n)
    text += f'\n[telegram]\nbase_url = "{sb.url}"\nrate_limit = false\ntick_seconds = 5\n'
    path = folder / "bench-telegram.toml"
    path.write_text(text, "utf-8")
    return path


def _bind(text: str, head: str, telegram_id: int) -> str:
    if head not in text:
        raise RuntimeError(f"bench/community.py no longer writes {head!r}")
    return text.replace(head, f"{head}telegram = {telegram_id}\n", 1)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process has used: less noisy than wall time on a busy machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ours_command(config: Path) -> list[str]:
    """`shangliang run` as installed in the venv (the console script), else ``-m bot.cli``."""
    script = Path(sys.executable).with_name("shangliang")
    head = [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]
    return [*head, "run", "--config", str(config)]


def echo_command(sb: BotApiSandbox) -> list[str]:
    return [sys.executable, str(ROOT / "bench" / "echo_bot.py"), sb.url]


@dataclass
class Bot:
    """A bot process, started at ``started`` (perf_counter, just before exec)."""

    process: asyncio.subprocess.Process
    started: float
    log: Path
    polling_at: float | None = None
    rss: dict[str, float] = field(default_factory=dict)
    cpu_to_polling: float | None = None

    @property
    def pid(self) -> int:
        return self.process.pid


def _environ(sb: BotApiSandbox | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SHANGLIANG_DATABASE_URL"}  # the config's URL counts
    env["PYTHONPATH"] = str(ROOT)
    if sb is not None:
        env["SHANGLIANG_TELEGRAM_TOKEN"] = sb.token
    return env


async def migrate(db: Database) -> None:
    """The schema, as `shangliang migrate` leaves it before a deployment's first start."""
    from storage import migrate as schema
    engine = db.engine()
    try:
        await asyncio.to_thread(schema.upgrade, engine)
    finally:
        engine.dispose()


async def start(sb: BotApiSandbox, command: list[str], log: Path, *, timeout: float = 60) -> Bot:
    """Exec the bot; return once its first getUpdates reached the sandbox (``polling_at``)."""
    env = _environ(sb)
    before = len(sb.calls)
    with log.open("wb") as out:
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(*command, cwd=ROOT, env=env, stdout=out, stderr=out)
    bot = Bot(process, started, log)

    def polling() -> bool:
        if process.returncode is not None:
            raise RuntimeError(f"{command[0]} exited {process.returncode} before polling:\n{log.read_text()[-2000:]}")
        return any(c.method == "getUpdates" for c in sb.calls[before:])

    await wait(polling, timeout, step=0.002)
    bot.polling_at = next(c.arrived for c in sb.calls[before:] if c.method == "getUpdates")
    bot.rss["polling"] = rss_mb(process.pid)
    bot.cpu_to_polling = cpu_s(process.pid)
    return bot


async def stop(bot: Bot, *, timeout: float = 30) -> None:
    """Ctrl-C, as an operator stops it; a bot that does not exit cleanly fails the bench."""
    if bot.process.returncode is None:
        bot.process.send_signal(signal.SIGINT)
    try:
        code = await asyncio.wait_for(bot.process.wait(), timeout)
    except TimeoutError:
        bot.process.kill()
        await bot.process.wait()
        raise RuntimeError(f"the bot did not stop within {timeout}s:\n{bot.log.read_text()[-2000:]}") from None
    if code != 0:
        raise RuntimeError(f"the bot exited {code}:\n{bot.log.read_text()[-2000:]}")


async def wait(predicate, timeout: float, *, step: float = 0.01) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"bench: gave up after {timeout:.0f}s")
        await asyncio.sleep(step)
