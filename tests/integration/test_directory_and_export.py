"""The config is the source of truth for roles; the CSV ledger never hands a spreadsheet a formula."""
from __future__ import annotations

import csv
import io
from datetime import datetime

from sqlalchemy import select

from bot.bootstrap import bootstrap
from bot.config import load
from bot.export import to_csv
from handlers.clock import SimulatedClock
from handlers.ledger import FIELDS, rows
from handlers.lifecycle import Role
from storage.models import Concern, Person
from tests.harness import Harness, texts_to

START = datetime.fromisoformat("2026-03-02T09:00:00+08:00")

BASE = """
[[grids]]
key = "grid-1"
name = "幸福里网格"

[[chats]]
key = "grid-1"
kind = "grid"
grid = "grid-1"

[[chats]]
key = "committee"
kind = "committee"

[[people]]
handle = "ma"
name = "马书记"
roles = ["coordinator"]

[[people]]
handle = "wang"
name = "王阿姨"
grid = "grid-1"
"""

XU = """
[[people]]
handle = "xu"
name = "徐委员"
roles = ["member"]
"""


def roles_of(app, handle: str) -> set[str]:
    with app.sessions() as s:
        return s.scalars(select(Person).where(Person.handle == handle)).one().role_names


def test_a_member_dropped_from_the_config_keeps_only_the_resident_role(engine, tmp_path):
    first = tmp_path / "first.toml"
    first.write_text(BASE + XU, "utf-8")
    second = tmp_path / "second.toml"
    second.write_text(BASE, "utf-8")

    app = bootstrap(load(first, environ={}), clock=SimulatedClock(START), engine=engine)
    assert roles_of(app, "xu") == {"member"}
    h = Harness(app)
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    result, _ = h.say("committee", "xu", "/claim 1")
    assert result.status == "done"

    app = bootstrap(load(second, environ={}), clock=SimulatedClock(h.now), engine=engine)
    names = roles_of(app, "xu")
    assert "member" not in names and names <= {"resident"}
    assert Role.of(names) == Role.RESIDENT
    assert roles_of(app, "ma") == {"coordinator"}  # those still listed keep theirs

    seq, h = h._seq, Harness(app)
    h._seq = seq  # message ids go on where the first run stopped, as after a restart
    h.say("grid-1", "wang", "#报事 5栋楼道灯也坏了")
    result, sent = h.say("committee", "xu", "/claim 2")
    assert result.status == "refused" and "只有委员可以接单" in result.reply
    assert texts_to(sent, "committee") == [result.reply]
    with app.sessions() as s:
        assert s.get(Concern, 2).state == "reported"
        xu = s.scalars(select(Person).where(Person.handle == "xu")).one()
        assert s.get(Concern, 1).claimed_by_id == xu.id  # history is kept


FORMULAS = {
    1: '=HYPERLINK("http://example.com/x","点我查看")路灯坏了',
    2: "+1 楼道灯不亮",
    3: "-2层车库漏水",
    4: "@所有人 5栋电梯坏了",
}


def test_csv_cells_that_would_run_as_a_formula_are_made_inert(h):
    for number, body in FORMULAS.items():
        result, _ = h.say("grid-1", "wang", f"#报事 {body}")
        assert result.status == "done", result.reply
    h.say("grid-1", "li", "#报事 3栋门口有积水")  # an ordinary one stays as it is
    h.say("committee", "liu", "/claim 1")
    h.say("committee", "liu", "/decide 1 =1+1")

    with h.app.sessions() as s:
        ledger = rows(s, h.app.config.settings.zone)
        assert s.get(Concern, 1).text == FORMULAS[1]  # the database keeps what was written
    assert ledger[0]["text"] == FORMULAS[1]  # the ledger rows are raw too; only the CSV guards

    parsed = list(csv.DictReader(io.StringIO(to_csv(ledger))))
    assert list(parsed[0]) == list(FIELDS)
    by_number = {int(row["number"]): row for row in parsed}
    for number, body in FORMULAS.items():
        assert by_number[number]["text"] == "'" + body, number
    assert by_number[1]["outcome"] == "'=1+1"
    assert by_number[5]["text"] == "3栋门口有积水"
    assert by_number[5]["grid"] == "grid-1" and by_number[5]["reporter"] == "li"
    for row in parsed:
        for field, cell in row.items():
            assert cell[:1] not in ("=", "+", "-", "@"), (row["number"], field, cell)
