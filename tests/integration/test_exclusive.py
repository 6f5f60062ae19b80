"""Start-ups on one PostgreSQL database take turns (``storage.exclusive``): three processes
started together (systemd at boot, a rolling deploy) all come up, and the directory the
config describes is written once, not three times or half."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from bot.bootstrap import bootstrap
from storage import exclusive
from storage.db import make_engine
from storage.models import Chat, Grid, Identity, Person

from ..conftest import EXAMPLE_CONFIG, PG_URL, fresh_schema

pytestmark = pytest.mark.postgres


def engines(schema: str, n: int):
    return [make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"}) for _ in range(n)]


def test_a_second_holder_waits_until_the_first_lets_go():
    with fresh_schema("ex_") as schema:
        first, second = engines(schema, 2)
        inside, events = threading.Event(), []

        def hold() -> None:
            with exclusive.alone(first):
                inside.set()
                time.sleep(0.4)
                events.append("first leaves")

        thread = threading.Thread(target=hold)
        thread.start()
        inside.wait(10)
        with exclusive.alone(second):
            events.append("second enters")
        thread.join()
        assert events == ["first leaves", "second enters"]
        for engine in (first, second):
            engine.dispose()


def test_three_start_ups_at_once_on_an_empty_database_all_succeed_and_write_the_directory_once():
    from bot.config import load
    config = load(EXAMPLE_CONFIG)
    with fresh_schema("ex_") as schema:
        made, errors = engines(schema, 3), []
        start = threading.Barrier(3)

        def start_up(engine) -> None:
            start.wait()
            try:
                with exclusive.alone(engine):
                    bootstrap(config, engine=engine, platforms=("telegram",))
            except Exception as exc:  # a unique violation here is what the lock prevents
                errors.append(exc)

        threads = [threading.Thread(target=start_up, args=(engine,)) for engine in made]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert errors == []
        with made[0].connect() as c:
            assert c.scalar(select(func.count()).select_from(Grid)) == len(config.directory.grids)
            assert c.scalar(select(func.count()).select_from(Person)) == len(config.directory.people)
            assert c.scalar(select(func.count()).select_from(Chat)) == 0  # no telegram ids in the example
            assert c.scalar(select(func.count()).select_from(Identity)) == 0
        for engine in made:
            engine.dispose()
