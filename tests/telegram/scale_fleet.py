"""The processes of a scale-out deployment, started as an operator's units would start them:
``shangliang run`` webhook processes and ``shangliang deliver`` workers, each a separate
Python process with its log in a file (a pipe could fill up and stall it)."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECRET = "scale-out-shared-secret"  # every process behind one URL must check the same secret


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Unit:
    """One process: ``shangliang -v <args>``."""

    def __init__(self, folder: Path, name: str, args: list[str], token: str) -> None:
        self.name, self.args = name, args
        self.log, self.out = folder / f"{name}.log", folder / f"{name}.out"
        self.env = {**os.environ, "SHANGLIANG_TELEGRAM_TOKEN": token, "SHANGLIANG_TELEGRAM_WEBHOOK_SECRET": SECRET}
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> Unit:
        profile = os.environ.get("SHANGLIANG_SCALE_PROFILE")  # a folder: each unit writes <name>.prof there
        python = [sys.executable, "-m", "cProfile", "-o", f"{profile}/{self.name}.prof"] if profile else [sys.executable]
        with self.log.open("ab") as err, self.out.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                *python, "-m", "bot.cli", "-v", *self.args, env=self.env, cwd=ROOT, stdout=out, stderr=err)
        return self

    def text(self) -> str:
        return self.log.read_text("utf-8", "replace") if self.log.exists() else ""

    def says(self, words: str) -> bool:
        return words in self.text()

    def exited(self) -> bool:
        return self.process is not None and self.process.returncode is not None

    def cpu(self) -> float:
        """CPU seconds the process has used so far (user + system)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, AttributeError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.process is None or self.process.returncode is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(sig)
        return await asyncio.wait_for(self.process.wait(), timeout=timeout)


def run_unit(folder: Path, config: Path, token: str, index: int) -> Unit:
    """A webhook process that leaves sending to the delivery workers (``--no-deliver``)."""
    return Unit(folder, f"run-{index}", ["run", "--config", str(config), "--no-deliver"], token)


def deliver_unit(folder: Path, config: Path, token: str, index: int) -> Unit:
    return Unit(folder, f"deliver-{index}", ["deliver", "--config", str(config), "--batch", "20"], token)


async def migrate(folder: Path, config: Path, token: str) -> None:
    """``shangliang migrate``: the schema is made once, before the units start."""
    unit = await Unit(folder, "migrate", ["migrate", "--config", str(config)], token).start()
    code = await asyncio.wait_for(unit.process.wait(), timeout=120)
    assert code == 0, unit.text()


def failures(units: list[Unit]) -> list[str]:
    """Tracebacks and errors any unit logged (a unit that is healthy logs none)."""
    bad = []
    for unit in units:
        for line in unit.text().splitlines():
            if "Traceback" in line or " ERROR " in line or " CRITICAL " in line:
                bad.append(f"{unit.name}: {line}")
    return bad
