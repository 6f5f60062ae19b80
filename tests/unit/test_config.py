"""Loading the TOML configuration: the shipped example, the environment, and helpful errors."""
from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, load
from handlers.settings import Settings
from storage.db import DEFAULT_URL

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"

DIRECTORY = """
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
roles = ["coordinator"]

[[people]]
handle = "wang"
grid = "grid-1"
"""


@pytest.fixture
def write(tmp_path):
    def _write(text: str, name: str = "config.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, "utf-8")
        return path
    return _write


# --- the shipped example -------------------------------------------------------------------

def test_example_config_loads():
    config = load(EXAMPLE, environ={})
    assert len(config.directory.grids) == 2
    assert len(config.directory.chats) == 4
    assert len(config.directory.people) == 9
    assert config.database_url == "sqlite:///data/shangliang.db"
    assert config.source == str(EXAMPLE)


def test_example_config_values():
    config = load(EXAMPLE, environ={})
    s = config.settings
    assert s.timezone == "Asia/Shanghai"
    assert "#報事" in s.report_tags
    assert s.poll_options == ("同意", "反对", "需要再调研")
    assert s.quorum_share == 0.5
    assert s.digest_time == time(8, 30)
    assert s.poll_duration == {"small": timedelta(hours=24), "big": timedelta(hours=72), "urgent": timedelta(hours=2)}
    assert s.poll_reminder_before["urgent"] == timedelta(minutes=30)
    assert s.sla["big"].resolution == timedelta(days=30)
    assert s.sla["urgent"].response == timedelta(hours=2)
    assert s.survey_reminder_after == timedelta(days=3)
    people = {p.handle: p for p in config.directory.people}
    assert people["ma"].roles == ("coordinator",)
    assert people["wang"].grid == "grid-1"
    assert {c.kind for c in config.directory.chats} == {"grid", "committee", "coordinators"}


def test_environment_database_url_overrides_the_file():
    url = "postgresql+psycopg://bot@db.example:5432/shangliang"
    assert load(EXAMPLE, environ={"SHANGLIANG_DATABASE_URL": url}).database_url == url


def test_empty_environment_variable_does_not_override():
    assert load(EXAMPLE, environ={"SHANGLIANG_DATABASE_URL": ""}).database_url == "sqlite:///data/shangliang.db"


def test_defaults_without_a_file():
    config = load(None, environ={})
    assert config.database_url == DEFAULT_URL
    assert config.settings == Settings()
    assert config.directory.grids == () and config.directory.chats == () and config.directory.people == ()
    assert config.lexicon is None
    assert config.source == "(defaults)"


def test_defaults_take_the_environment_url():
    assert load(None, environ={"SHANGLIANG_DATABASE_URL": "sqlite:///x.db"}).database_url == "sqlite:///x.db"


def test_partial_overrides_keep_other_defaults(write):
    config = load(write('[deadlines.poll]\nbig = "48h"\n\n[survey]\ndelay = "1.5h"\n'), environ={})
    assert config.settings.poll_duration == {"small": timedelta(hours=24), "big": timedelta(hours=48),
                                             "urgent": timedelta(hours=2)}
    assert config.settings.survey_delay == timedelta(minutes=90)
    assert config.settings.survey_open_for == Settings().survey_open_for


def test_lexicon_path_is_relative_to_the_config_file(write, tmp_path):
    config = load(write('[intake]\nlexicon = "categories.toml"\n'), environ={})
    assert config.lexicon == tmp_path / "categories.toml"


def test_minimal_directory(write):
    directory = load(write(DIRECTORY), environ={}).directory
    assert [g.key for g in directory.grids] == ["grid-1"]
    assert [(c.key, c.kind, c.grid) for c in directory.chats] == [("grid-1", "grid", "grid-1"),
                                                                 ("committee", "committee", None)]
    people = {p.handle: p for p in directory.people}
    assert people["wang"].roles == ("resident",)  # default role
    assert people["wang"].name == "wang"          # name defaults to the handle


# --- mistakes -------------------------------------------------------------------------------

@pytest.mark.parametrize(("toml", "words"), [
    ('[deadlines.poll]\nsmall = "soon"\n', ["deadlines.poll.small", "soon"]),
    ('[deadlines.poll]\nbig = "3 days"\n', ["deadlines.poll.big", "3 days"]),
    ('[deadlines.poll_reminder]\nurgent = "half an hour"\n', ["deadlines.poll_reminder.urgent"]),
    ('[deadlines.response]\nsmall = "tomorrow"\n', ["deadlines.response.small"]),
    ('[deadlines.resolution]\nbig = "a month"\n', ["deadlines.resolution.big"]),
    ('[survey]\ndelay = "later"\n', ["survey.delay"]),
    ('[survey]\nopen_for = 7\n', ["survey.open_for"]),
], ids=["poll-soon", "poll-words", "reminder", "response", "resolution", "survey-delay", "bare-number"])
def test_bad_duration(write, toml, words):
    with pytest.raises(ConfigError) as error:
        load(write(toml), environ={})
    for word in words:
        assert word in str(error.value)
    assert "24h" in str(error.value)  # says what a duration looks like


@pytest.mark.parametrize(("toml", "words"), [
    ('[deadlines.poll]\nhuge = "3h"\n', ["deadlines.poll", "huge"]),
    ('[deadlines.poll_reminder]\nmedium = "1h"\n', ["deadlines.poll_reminder", "medium"]),
    ('[deadlines.response]\nsmal = "12h"\n', ["deadlines.response", "smal"]),
    ('[deadlines.resolution]\nBig = "10d"\n', ["deadlines.resolution", "Big"]),
], ids=["poll", "poll_reminder", "response", "resolution"])
def test_unknown_size_key(write, toml, words):
    with pytest.raises(ConfigError) as error:
        load(write(toml), environ={})
    for word in words:
        assert word in str(error.value)


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "Asia/Peking", "", "../etc/passwd"])
def test_bad_timezone(write, zone):
    with pytest.raises(ConfigError, match="community.timezone"):
        load(write(f'[community]\ntimezone = "{zone}"\n'), environ={})


@pytest.mark.parametrize("share", ["0", "1.5", "-0.2", '"half"'])
def test_bad_quorum_share(write, share):
    with pytest.raises(ConfigError, match="quorum_share"):
        load(write(f"[community]\nquorum_share = {share}\n"), environ={})


@pytest.mark.parametrize("share", ["1", "1.0", "0.3"])
def test_good_quorum_share(write, share):
    assert load(write(f"[community]\nquorum_share = {share}\n"), environ={}).settings.quorum_share == float(share)


@pytest.mark.parametrize("value", ["8点半", "25:00", "08:61", "8.30", "08:30:00", ""])
def test_bad_digest_time(write, value):
    with pytest.raises(ConfigError, match="digest_time"):
        load(write(f'[community]\ndigest_time = "{value}"\n'), environ={})


def test_digest_time(write):
    assert load(write('[community]\ndigest_time = "19:05"\n'), environ={}).settings.digest_time == time(19, 5)


def _directory_with(extra: str) -> str:
    return DIRECTORY + "\n" + extra


@pytest.mark.parametrize(("extra", "words"), [
    ('[[chats]]\nkey = "grid-9"\nkind = "grid"\ngrid = "grid-9"\n', ["chats[2]", "grid-1"]),
    ('[[chats]]\nkey = "grid-x"\nkind = "grid"\n', ["chats[2]", "grid"]),
    ('[[chats]]\nkey = "lobby"\nkind = "lobby"\n', ["chats[2].kind", "committee"]),
    ('[[chats]]\nkind = "committee"\ntitle = "no key"\n', ["chats[2]", "key"]),
    ('[[people]]\nhandle = "x"\nroles = ["mayor"]\n', ["people[2].roles", "member"]),
    ('[[people]]\nhandle = "x"\nroles = ["member", "system"]\n', ["people[2].roles"]),
    ('[[people]]\nhandle = "x"\ngrid = "grid-9"\n', ["people[2].grid", "grid-9"]),
    ('[[people]]\nname = "没有代号"\n', ["people[2]", "handle"]),
    ('[[grids]]\nname = "没有代号"\n', ["grids[1]", "key"]),
], ids=["chat-unknown-grid", "grid-chat-without-grid", "chat-kind", "chat-without-key", "person-role",
        "person-system-role", "person-grid", "person-without-handle", "grid-without-key"])
def test_bad_directory(write, extra, words):
    with pytest.raises(ConfigError) as error:
        load(write(_directory_with(extra)), environ={})
    for word in words:
        assert word in str(error.value)


@pytest.mark.parametrize("extra", [
    '[[grids]]\nkey = "grid-1"\nname = "重复"\n',
    '[[chats]]\nkey = "committee"\nkind = "committee"\n',
    '[[people]]\nhandle = "ma"\nroles = ["resident"]\n',
], ids=["grid", "chat", "person"])
def test_duplicate_keys_are_refused(write, extra):
    """A copy-pasted block with an unchanged key would silently replace the first entry."""
    with pytest.raises(ConfigError):
        load(write(_directory_with(extra)), environ={})


def test_missing_file(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as error:
        load(missing, environ={})
    assert "not found" in str(error.value)
    assert str(missing) in str(error.value)


@pytest.mark.parametrize("text", ['[community\ntimezone = "Asia/Shanghai"\n', 'quorum_share = = 1\n',
                                  '[community]\ntimezone = Asia/Shanghai\n'])
def test_malformed_toml(write, text):
    path = write(text)
    with pytest.raises(ConfigError) as error:
        load(path, environ={})
    assert str(path) in str(error.value)


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


# --- typos and wrong types are refused, platform ids are accepted ---------------------------

@pytest.mark.parametrize(("toml", "key"), [
    ('[databse]\nurl = "sqlite:///x.db"\n', "databse"),
    ('[community]\ntimezon = "Asia/Shanghai"\n', "timezon"),
    ('[[people]]\nhandle = "x"\ngird = "grid-1"\n', "gird"),
], ids=["section", "community-key", "person-key"])
def test_unknown_keys_are_refused_by_name(write, toml, key):
    with pytest.raises(ConfigError) as error:
        load(write(toml), environ={})
    assert key in str(error.value)


def test_an_unknown_key_in_a_later_person_entry_names_the_entry(write):
    with pytest.raises(ConfigError) as error:
        load(write(_directory_with('[[people]]\nhandle = "x"\nrole = ["member"]\n')), environ={})
    assert "people[2]" in str(error.value) and "role" in str(error.value)


def test_digest_when_quiet_must_be_a_real_boolean(write):
    with pytest.raises(ConfigError, match="digest_when_quiet"):
        load(write('[community]\ndigest_when_quiet = "false"\n'), environ={})
    assert load(write('[community]\ndigest_when_quiet = false\n'), environ={}).settings.digest_when_quiet is False


@pytest.mark.parametrize("options", ['["同意"]', "[]", '"同意/反对"', '["同意", ""]', '["同意", 2]'],
                         ids=["one", "none", "string", "blank", "number"])
def test_bad_poll_options(write, options):
    with pytest.raises(ConfigError, match="poll_options"):
        load(write(f"[community]\npoll_options = {options}\n"), environ={})


def test_telegram_ids_on_people_and_chats_are_accepted(write):
    text = DIRECTORY.replace('key = "committee"\nkind = "committee"\n',
                             'key = "committee"\nkind = "committee"\ntelegram = -100123\n')
    text = text.replace('handle = "wang"\n', 'handle = "wang"\ntelegram = 12345\n')
    directory = load(write(text), environ={}).directory
    chats = {c.key: c for c in directory.chats}
    people = {p.handle: p for p in directory.people}
    assert chats["committee"].ids == {"telegram": "-100123"}
    assert chats["grid-1"].ids == {}
    assert people["wang"].ids == {"telegram": "12345"}
    assert people["ma"].ids == {}


def test_platforms_served_by_default_and_wechat_switched_on(write):
    assert load(write(DIRECTORY), environ={}).platforms == ("telegram",)
    config = load(write(DIRECTORY + '\n[wechat]\nenabled = true\nendpoint = "127.0.0.1:8788"\nsend_pause = 0.5\n'
                        '\n[telegram]\nenabled = false\n'), environ={})
    assert config.platforms == ("wechat",)
    assert (config.wechat.endpoint, config.wechat.send_pause, config.wechat.max_text) == ("127.0.0.1:8788", 0.5, 2000)


@pytest.mark.parametrize("table, words", [
    ('enabled = "yes"', "wechat.enabled"), ("send_pause = -1", "send_pause"), ("max_text = 10", "max_text"),
    ('start_timeout = "soon"', "wechat"), ("token = 'abc'", "unknown key"),
])
def test_bad_wechat_settings_are_named(write, table, words):
    with pytest.raises(ConfigError, match=words):
        load(write(f"[wechat]\n{table}\n"), environ={})


def test_wechat_room_and_person_ids_are_accepted(write):
    text = DIRECTORY.replace('key = "grid-1"\nkind = "grid"\n', 'key = "grid-1"\nkind = "grid"\nwechat = "R:123@chatroom"\n')
    text = text.replace('handle = "wang"\n', 'handle = "wang"\nwechat = "wxid_wang"\n')
    directory = load(write(text), environ={}).directory
    assert {c.key: c.ids for c in directory.chats}["grid-1"] == {"wechat": "R:123@chatroom"}
    assert {p.handle: p.ids for p in directory.people}["wang"] == {"wechat": "wxid_wang"}
