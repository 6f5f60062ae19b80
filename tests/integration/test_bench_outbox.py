"""bench outbox, run tiny on PostgreSQL so it keeps working: real `shangliang deliver`
processes drain a mix of groups and private chats into the sandbox, with Telegram's limits
(no 429, a share of the allowed rate) and without (messages/s beside one worker); the bench
itself fails if any row is not sent exactly once. And its peer: the shortest drain the limits
allow, which for a mix where the bot's rate decides is the bound no schedule can beat."""
from __future__ import annotations

from argparse import Namespace

import pytest

from bench import outbox
from bench.allowed import lower_bound, shortest_drain
from bench.databases import Database

from ..conftest import PG_URL, _postgres_or_fail


def test_the_allowed_drain_is_the_bound_when_the_bots_rate_decides_and_longer_when_a_group_does():
    mix = [("group", 21)] * 60 + [("private", 10)] * 60  # the bench's default
    assert shortest_drain(mix) == pytest.approx(lower_bound(mix)) == pytest.approx((1860 - 30) / 30)
    assert shortest_drain([("group", 41)]) == pytest.approx(120)  # bursts of 20 a minute apart
    assert shortest_drain([("private", 5)]) == pytest.approx(2)  # a burst of three, then one a second
    assert shortest_drain([("group", 25)] * 40 + [("private", 10)] * 100) >= lower_bound(
        [("group", 25)] * 40 + [("private", 10)] * 100)


@pytest.mark.postgres
def test_the_outbox_bench_drains_with_and_without_limits():
    _postgres_or_fail().dispose()
    args = Namespace(outbox_groups=4, outbox_per_group=10, outbox_private=10, outbox_per_private=2,
                     outbox_workers="1", outbox_unlimited=28)
    assert outbox.run(Database("sqlite", "sqlite://"), args) == []  # several workers: PostgreSQL only
    rows = outbox.run(Database("postgresql", PG_URL), args)
    limited, *free = rows
    assert limited["bench"] == "outbox, Telegram's limits" and limited["workers"] == 1
    assert limited["messages"] == 60 and limited["refused"] == 0 and limited["errors"] == 0
    assert limited["allowed_s"] == pytest.approx(1.0) and 0 < limited["ratio"] <= 1.05
    [single] = free
    assert single["bench"] == "outbox, no limits" and single["workers"] == 1 and single["ratio"] == 1.0
    assert single["messages"] == 28 and single["per_s"] > 0 and single["refused"] == 0
