"""Scale-out: three `shangliang run` webhook processes behind a round-robin load balancer,
one PostgreSQL schema, a delivery worker, and a burst of Telegram updates (5,000 by default;
``SHANGLIANG_SCALE_UPDATES`` for another size).

The deployment is the one docs/deploy.md describes: the webhook processes only receive and
handle (``--no-deliver``), `shangliang deliver` sends, every process checks the same webhook
secret, the schema is migrated once before they start. Residents report (some matters
several times, in the same words), members claim and open committee polls, and then the
burst: supports on the same concerns from many residents at once (button, "+1" reply,
``/support``), native poll votes from the whole committee (some changed), with the concerns'
response deadlines coming due a third of the way in, one process restarted as a deploy does
half-way, another killed (SIGKILL) and started again three quarters in, and the polls
closing at the end.

Then everything must be what one-after-another handling of the same updates gives: each
matter one concern with exactly its supporters, each poll's tally exact, every update
handled once, every outbox row sent once (the sandbox's requests counted against the rows),
every deadline check and poll close run once across the three tickers.
"""
from __future__ import annotations

import asyncio
import os
import random
import resource
import signal
import time

import pytest
from sqlalchemy import func, select

from sandbox.balancer import RoundRobin, front
from sandbox.telegram import BotApiSandbox
from storage.models import ScheduledJob
from tests.conftest import PG_URL, fresh_schema

pytest.register_assert_rewrite("tests.telegram.scale_checks")  # its failures show what differs

from . import scale_fleet as fleet, scale_reference as reference  # noqa: E402
from .scale_checks import (  # noqa: E402
    NUMBER, Watch, check_cards, check_counts, check_delivery, check_scheduled_work,
    delivered_updates, feed, matters_of, settled)
from .scale_traffic import burst, committee_commands, perform  # noqa: E402
from .scale_world import grid_chat, populate, reports, write_configs  # noqa: E402

pytestmark = [pytest.mark.asyncio, pytest.mark.postgres]
UPDATES = int(os.environ.get("SHANGLIANG_SCALE_UPDATES", "5000"))
# one delivery worker, as docs/deploy.md advises: two can send two edits of one card out of
# order (the older count shown last); tests/telegram/test_workers.py runs several
PROCESSES, WORKERS = 3, 1
PER_GRID, DUPLICATES = 40, [6, 4, 3, 2, 2, 1, 1, 1]   # matters per grid; extra reporters of the first ones
DELIBERATED, CLAIMED_ONLY = 8, 12


async def restart(unit: fleet.Unit, sig: int) -> int:
    """Stop ``unit`` with ``sig`` and start it again at once; the stop's exit code. A process
    told to stop handles what it has queued first: under a burst, that can take a while."""
    code = await unit.stop(sig, timeout=300)
    await unit.start()
    return code


async def test_three_webhook_processes_on_one_postgresql_handle_a_burst_exactly_once(tmp_path):
    started = time.monotonic()
    rng = random.Random(13)
    with fresh_schema("scale_") as schema:
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
        sb, balancer = BotApiSandbox(), None
        await sb.start()
        units: list[fleet.Unit] = []
        watch = Watch(url)
        try:
            populate(sb)
            ports = [fleet.free_port() for _ in range(PROCESSES)]
            configs = write_configs(tmp_path, url, sb.url, ports)
            balancer = RoundRobin([f"http://127.0.0.1:{port}" for port in ports])
            await balancer.start()
            front(sb, balancer)
            await fleet.migrate(tmp_path, configs[0], sb.token)
            units = [fleet.run_unit(tmp_path, config, sb.token, i) for i, config in enumerate(configs)]
            units += [fleet.deliver_unit(tmp_path, configs[0], sb.token, i) for i in range(WORKERS)]
            for unit in units:
                await unit.start()
            await sb.wait_for(lambda: all(u.says("serving telegram") or u.says("delivering Telegram") for u in units)
                              or any(u.exited() for u in units), timeout=180)
            assert not any(u.exited() for u in units), fleet.failures(units)
            assert sb.webhook["secret_token"] == fleet.SECRET
            print(f"\n[scale] {PROCESSES} webhook processes and {WORKERS} workers ready after "
                  f"{time.monotonic() - started:.1f}s")

            # 1. residents report; several tell the same matter in the same words
            posted = reports(PER_GRID, DUPLICATES, rng)
            messages = [(r, sb.user_says(grid_chat(r.grid), r.sender, r.text)["message_id"]) for r in posted]
            await settled(sb, watch, delivered_updates(sb), timeout=300)
            with watch.engine.connect() as c:
                rows = c.execute(reference.sources()).all()
            assert reference.partition(rows) == reference.matters(tmp_path, configs[0], messages)
            concerns = matters_of(sb, rows, messages)
            print(f"[scale] {len(posted)} reports: {len(concerns)} concerns after {time.monotonic() - started:.1f}s")

            # 2. members claim some concerns and open committee polls on the first ones
            claims, polls = committee_commands(concerns, DELIBERATED, CLAIMED_ONLY)
            for user, chat, words in claims:
                sb.user_says(chat, user, words)
            await settled(sb, watch, delivered_updates(sb), timeout=180)
            for user, chat, words in polls:
                sb.user_says(chat, user, words)
            await settled(sb, watch, delivered_updates(sb), timeout=180)
            poll_ids = {int(NUMBER.search(p["question"]).group(1)): pid for pid, p in sb.polls.items()}
            deliberated = [c.number for c in concerns[:DELIBERATED]]
            assert sorted(poll_ids) == sorted(deliberated)
            option_texts = [o["text"] for o in next(iter(sb.polls.values()))["options"]]
            options = len(option_texts)

            # 3. the burst; half-way through the first part, the response deadlines pass
            before = delivered_updates(sb)
            acts, expected = burst(concerns, deliberated, UPDATES - before, rng, options)
            by_number = {c.number: c for c in concerns}
            burst_start = time.monotonic()
            overdue, restarts = [], []  # how many response checks came due; the restarts under way
            await feed(sb, acts, lambda act: perform(sb, act, by_number, poll_ids), events={
                1 / 3: lambda: overdue.append(watch.come_due("sla_response")),
                # a rolling restart (what a deploy does), then a process killed outright and started
                # again while the others go on: its stored, unhandled updates are handled once
                1 / 2: lambda: restarts.append(asyncio.create_task(restart(units[1], signal.SIGTERM))),
                3 / 4: lambda: restarts.append(asyncio.create_task(restart(units[2], signal.SIGKILL)))})
            assert [await task for task in restarts] == [0, -signal.SIGKILL]
            assert overdue == [len(concerns) - len(claims)]
            fed = time.monotonic() - burst_start
            await settled(sb, watch, UPDATES, timeout=600)
            handled = time.monotonic() - burst_start
            print(f"[scale] burst of {len(acts)} updates fed in {fed:.1f}s, all handled and sent after "
                  f"{handled:.1f}s ({len(acts) / handled:.0f} updates/s)")

            # 4. the polls' deadlines pass: each closes once, across three tickers
            assert watch.come_due("poll_close") == DELIBERATED
            await sb.wait_for(lambda: len(sb.calls_to("stopPoll")) >= DELIBERATED and watch.unsent() == 0
                              and watch.scalar(select(func.count()).select_from(ScheduledJob).where(
                                  ScheduledJob.kind == "poll_close", ScheduledJob.state == "pending")) == 0,
                              timeout=120)
            await asyncio.sleep(2)  # a second run of a job would show by now (the ticker runs every second)
            await settled(sb, watch, UPDATES, timeout=60)
        finally:
            print("[scale] CPU seconds: " + ", ".join(f"{u.name} {u.cpu():.0f}" for u in units))
            codes = [await unit.stop() for unit in units]
            if balancer is not None:
                await balancer.stop()
            await sb.stop()
        children, me = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
        print(f"[scale] total {time.monotonic() - started:.1f}s; CPU: processes "
              f"{children.ru_utime + children.ru_stime:.0f}s, test and sandbox {me.ru_utime + me.ru_stime:.0f}s; "
              f"requests per process {sorted(balancer.served.values())}")

        gave_up = sum(1 for m in sb.sent() if m.get("text", "").startswith("⚠️ 刚刚有人同时处理了这件事"))
        print(f"[scale] answered 'someone was handling it at the same moment, try again': {gave_up}")
        assert codes == [0] * len(units), fleet.failures(units)
        assert fleet.failures(units) == []
        assert sb.errors == []
        assert all(n > UPDATES / PROCESSES / 4 for n in balancer.served.values()), balancer.served  # all worked (restarts too)
        check_counts(watch, concerns, expected, poll_ids, options, UPDATES)
        check_delivery(sb, watch)
        check_scheduled_work(sb, watch, concerns, claims, expected, option_texts)
        check_cards(sb, concerns, expected)
        watch.engine.dispose()


