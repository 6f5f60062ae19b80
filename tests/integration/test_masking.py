"""Personal numbers, in every form people type them, are masked in every text that leaves the
coordinators' own chats — whoever typed them — and in every export; the coordinators' group
and a coordinator in private read them whole. On SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from sqlalchemy import text

from bot.bootstrap import bootstrap
from bot.cli import main
from bot.replay import PLATFORM
from handlers.capabilities import Capabilities, PlatformCaps
from handlers.clock import SimulatedClock
from storage.models import Concern

from ..conftest import EXAMPLE_CONFIG, PG_URL, START
from ..harness import Harness, texts_to

# (as typed, what must never show, what shows instead)
REPORTED = [
    ("１３９００００５６２１", "13900005621", "139****5621"),        # full-width, from a Chinese input method
    ("１３８１２３４５６７８", "13812345678", "138****5678"),
    ("137.1111.2222", "13711112222", "137****2222"),                  # dotted
    ("+86 136 2222 3333", "13622223333", "+86 136****3333"),          # with the country code
    ("0571 88886666", "88886666", "0571-****66"),                     # landline with a space
    ("0571-87776655", "87776655", "0571-****55"),
    ("(0571)86665544", "86665544", "0571-****44"),
    ("010-12345678", "12345678", "010-****78"),
    ("110101900307123", "900307", "110101********3"),                 # an old 15-digit ID
    ("110101 19900307 4518", "19900307", "110101********8"),          # an 18-digit ID in groups
    ("110102-19850612-3217", "19850612", "110102********7"),
    ("京a54321", "54321", "京A·***21"),                                 # plates in lower case
    ("浙a·d67890", "67890", "浙A·****90"),
]
REPORT = ("#报事 3栋门口路灯坏了，王师傅{0}，李师傅{1}，张师傅{2}，老板{3}，物业{4}，保安{5}，值班{6}，总部{7}，"
          "身份证{8}和{9}、{10}，车牌{11}、{12}").format(*(typed for typed, _, _ in REPORTED))
# typed by the member liu in /decide, /progress and /escalate
PLAN = [("１３９１１１１２２２２", "13911112222", "139****2222"), ("0571-81234567", "81234567", "0571-****67")]
NOTE = [("+86 135 3333 4444", "13533334444", "+86 135****4444"), ("沪b76543", "76543", "沪B·***43")]
DEPARTMENT = [("0571-85556666", "85556666", "0571-****66")]
ALL = REPORTED + PLAN + NOTE + DEPARTMENT


def leaks(message: str, forms=ALL) -> list[str]:
    """What of ``forms`` shows unmasked in ``message`` (as typed or as plain digits)."""
    return [typed for typed, digits, _ in forms if typed in message or digits in message]


@pytest.fixture
def h(ready_engine, config) -> Harness:
    """A platform that edits concern cards in place, so card edits are checked too."""
    return Harness(bootstrap(config, clock=SimulatedClock(START), engine=ready_engine,
                             caps=Capabilities({PLATFORM: PlatformCaps(edits=True)})))


def ok(h: Harness, chat: str, who: str, message: str, **kw):
    result, sent = h.say(chat, who, message, **kw)
    assert result.status == "done", (message, result.reply)
    return sent


@pytest.fixture
def driven(h: Harness) -> Harness:
    """wang reports #1 in the grid with every form; li supports it; the member liu claims it,
    makes it urgent, corrects its category, decides, notes progress and escalates, typing
    numbers of his own."""
    ok(h, "grid-1", "wang", REPORT)
    report_id = h.last_message_id()
    ok(h, "grid-1", "li", "+1", reply_to=report_id)
    ok(h, "committee", "liu", "/claim 1")
    ok(h, "committee", "liu", "/急事 1")
    ok(h, "committee", "liu", "/分类 1 安全隐患")
    ok(h, "committee", "liu", f"/decide 1 联系电工老陈 {PLAN[0][0]} 上门，备用 {PLAN[1][0]}")
    ok(h, "committee", "liu", f"/progress 1 电工电话 {NOTE[0][0]}，车停在{NOTE[1][0]}")
    ok(h, "committee", "liu", f"/escalate 1 街道办{DEPARTMENT[0][0]}")
    return h


def test_the_report_is_masked_for_the_grid_the_committee_and_the_reporter_and_whole_for_coordinators(h):
    sent = ok(h, "grid-1", "wang", REPORT)
    grid, committee = texts_to(sent, "grid-1"), texts_to(sent, "committee")
    assert grid and committee
    for message in grid + committee:
        assert leaks(message, REPORTED) == [], message
    for _, _, shown in REPORTED:  # masked, not dropped
        assert any(shown in m for m in grid), shown
        assert any(shown in m for m in committee), shown

    sent = ok(h, "committee", "liu", "/急事 1")  # 急事: the coordinators hear at once
    alert = [m for m in texts_to(sent, "coordinators") if "🚨" in m]
    assert len(alert) == 1
    for typed, _, _ in REPORTED:
        assert typed in alert[0], typed
    for message in texts_to(sent, "committee"):
        assert leaks(message, REPORTED) == [], message


def test_numbers_a_member_types_are_masked_for_everyone_but_the_coordinators(driven):
    sent = driven.transport.sent
    by_chat = {to: texts_to(sent, to) for to in ("grid-1", "committee", "@wang", "@li", "coordinators")}
    for to in ("grid-1", "committee", "@wang", "@li"):
        assert by_chat[to], to
        for message in by_chat[to]:
            assert leaks(message) == [], (to, message)
    # the reporter and the supporter were told of the plan and the progress, masked
    for to in ("@wang", "@li"):
        told = "\n".join(by_chat[to])
        for _, _, shown in PLAN + NOTE + DEPARTMENT:
            assert shown in told, (to, shown)
    # the committee card, edited in place as #1 changed, never shows a number either
    edits = [m for m in sent if m.kind == "card.committee"]
    assert edits
    for message in edits:
        assert leaks(message.text) == [], message.text
    # the coordinators' group reads whole what it is sent: the urgent alert and the escalation
    coordinators = "\n".join(by_chat["coordinators"])
    for typed, _, _ in REPORTED + DEPARTMENT:
        assert typed in coordinators, typed


def test_status_privately_is_whole_for_a_coordinator_and_masked_for_a_resident(driven):
    sent = ok(driven, "private", "ma", "/status 1")
    to_ma = texts_to(sent, "@ma")
    assert len(to_ma) == 1
    for typed, _, _ in REPORTED:
        assert typed in to_ma[0], typed

    sent = ok(driven, "private", "li", "/status 1")
    to_li = texts_to(sent, "@li")
    assert len(to_li) == 1 and "#1" in to_li[0]
    assert leaks(to_li[0]) == [], to_li[0]
    assert "139****5621" in to_li[0]


def database_url(h: Harness) -> str:
    """The test's database as a URL the CLI can open (PostgreSQL: its fresh schema)."""
    engine = h.app.engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        return f"{PG_URL}?options=-csearch_path%3D{schema}"
    return engine.url.render_as_string(hide_password=False)


def export(capsys, url: str, *args: str) -> str:
    capsys.readouterr()
    rc = main(["export", "--config", str(EXAMPLE_CONFIG), "--database", url, *args])
    out, err = capsys.readouterr()
    assert rc == 0, err
    return out


def test_every_export_format_is_masked(driven, capsys, tmp_path):
    url = database_url(driven)
    with driven.app.sessions() as s:  # the database keeps what was typed, for coordinators
        assert REPORT.removeprefix("#报事 ") == s.get(Concern, 1).text

    as_json = export(capsys, url, "--format", "json")
    row = json.loads(as_json)[0]
    as_csv = export(capsys, url, "--format", "csv")
    csv_row = next(csv.DictReader(io.StringIO(as_csv)))
    corrections = export(capsys, url, "--format", "corrections")
    assert json.loads(corrections.splitlines()[0])["category"] == "安全隐患"

    book_path = tmp_path / "ledger.xlsx"
    capsys.readouterr()
    assert main(["export", "--format", "xlsx", "--config", str(EXAMPLE_CONFIG), "--database", url,
                 "--output", str(book_path)]) == 0, capsys.readouterr().err
    book = openpyxl.load_workbook(book_path)
    cells = "\n".join(str(cell) for sheet in book for line in sheet.iter_rows(values_only=True)
                      for cell in line if cell is not None)

    for name, body in (("json", as_json), ("csv", as_csv), ("corrections", corrections), ("xlsx", cells)):
        assert leaks(body, REPORTED + PLAN) == [], name
        for _, _, shown in REPORTED:  # masked, not dropped
            assert shown in body, (name, shown)
    for name, body in (("json", row["outcome"]), ("csv", csv_row["outcome"]), ("xlsx", cells)):
        for _, _, shown in PLAN:
            assert shown in body, (name, shown)
    for _, _, shown in REPORTED:
        assert shown in row["sources"][0]["text"], shown
