"""Running the delivery core as a process of its own (``shangliang deliver``).

The first SIGINT or SIGTERM lets the batch in hand finish and then stops; a second one
stops at once (rows then in flight are sent again after their lease, see the README).
"""
from __future__ import annotations

import asyncio
import logging
import signal

from .delivery.core import DeliveryCore

log = logging.getLogger(__name__)
SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def serve(pump: DeliveryCore, *, until_idle: bool = False) -> int:
    """Run ``pump`` until told to stop (or until nothing is due); return how many rows it sent."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    asked = 0

    def on_signal() -> None:
        nonlocal asked
        asked += 1
        if asked == 1:
            log.info("stopping after the batch in hand")
            pump.stop()
        else:
            task.cancel()

    for sig in SIGNALS:
        loop.add_signal_handler(sig, on_signal)
    try:
        return await pump.run(until_idle=until_idle)
    finally:
        for sig in SIGNALS:
            loop.remove_signal_handler(sig)
