"""The optional LLM classifier (bot/llm.py) over real HTTP on 127.0.0.1 against the fake
OpenAI-compatible server (sandbox/llm): a good answer is read (bare, fenced or in prose);
every bad, slow or missing answer gives None within about the timeout and one warning line;
three failures in a row pause the calls for a minute; the key is sent as a Bearer header and
never logged, and the resident's text arrives masked and is never logged either.
"""
from __future__ import annotations

import logging
import time

import pytest

from bot.llm import BREAKER_PAUSE, CATEGORY_LINES, LlmClassifier, LlmSettings, LlmVerdict, api_key
from sandbox.llm import BAD_MODES, FakeLlm, closed_url

CATEGORIES = tuple(CATEGORY_LINES)
KEY = "sk-test-7f3a9c1e5b"
REPORT = "3栋门口路灯坏了好几天 晚上黑漆漆的 有事打我电话 139 0000 5621"
RULES = {"路灯": ("公共设施", "small", "路灯不亮，换灯即可"), "燃气": ("安全隐患", "urgent", "闻到燃气味，有危险")}
TIMEOUT = 1.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake():
    with FakeLlm(RULES, delay=TIMEOUT + 5, trickle_every=0.2) as server:
        yield server


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def client(fake, clock):
    classifier = LlmClassifier(LlmSettings(fake.url, "qwen-test", timeout_seconds=TIMEOUT), api_key=KEY, clock=clock)
    yield classifier
    classifier.close()


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)  # httpx and httpcore included: nothing of theirs may leak the key
    return caplog


def warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.llm" and r.levelno == logging.WARNING]


def assert_private(caplog) -> None:
    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    for secret in (KEY, "Bearer", "路灯", "139 0000 5621", "5621", "燃气"):
        assert secret not in text


# --- good answers ----------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["good", "good-fenced", "good-prose"])
def test_a_good_answer_is_read(fake, client, logs, mode):
    fake.mode = mode
    assert client.judge(REPORT, CATEGORIES) == LlmVerdict("公共设施", "small", "路灯不亮，换灯即可")
    assert client.judge("楼道里一股燃气味", CATEGORIES) == LlmVerdict("安全隐患", "urgent", "闻到燃气味，有危险")
    assert warnings(logs) == []
    assert_private(logs)


def test_the_request_is_a_chat_completion_with_the_model_the_key_and_the_masked_text(fake, client):
    client.judge(REPORT, CATEGORIES)
    (got,) = fake.requests
    assert got.path == "/v1/chat/completions"
    assert got.authorization == f"Bearer {KEY}"
    assert got.body["model"] == "qwen-test"
    assert got.body["temperature"] == 0
    assert got.body["response_format"] == {"type": "json_object"}
    assert "139****5621" in got.text and "0000 5621" not in got.text and "路灯坏了" in got.text
    for category in CATEGORIES:
        assert category in got.system
    assert "urgent" in got.system and "JSON" in got.system


def test_no_key_no_authorization_header(fake):
    with LlmClassifier(LlmSettings(fake.url, "local"), api_key=None) as classifier:
        assert classifier.judge(REPORT, CATEGORIES) is not None
    assert fake.requests[0].authorization is None


def test_the_text_sent_is_cut_to_max_chars(fake):
    with LlmClassifier(LlmSettings(fake.url, "m", max_chars=50), api_key=KEY) as classifier:
        classifier.judge("路灯" + "很" * 5000, CATEGORIES)
    assert len(fake.requests[0].text) == 50 + len("<<<\n\n>>>")


def test_the_key_is_read_from_the_environment_variable_named():
    settings = LlmSettings("http://127.0.0.1:1/v1", "m", api_key_env="COMMUNITY_LLM_KEY")
    assert api_key(settings, {"COMMUNITY_LLM_KEY": f" {KEY}\n"}) == KEY
    assert api_key(settings, {"SHANGLIANG_LLM_API_KEY": KEY}) is None
    assert api_key(settings, {"COMMUNITY_LLM_KEY": ""}) is None


# --- bad answers -----------------------------------------------------------------------------

@pytest.mark.parametrize("mode", [*BAD_MODES, "error", "hangup"])
def test_a_bad_answer_gives_none_and_one_warning(fake, client, logs, mode):
    fake.mode = mode
    started = time.monotonic()
    assert client.judge(REPORT, CATEGORIES) is None
    assert time.monotonic() - started < TIMEOUT
    (line,) = warnings(logs)
    assert line.startswith("llm intake: no verdict (") and " s, the local classifier decides" in line
    assert_private(logs)


def test_each_failure_is_named(fake, client, logs):
    named = {}
    for mode in ("bad-prose", "bad-json", "bad-category", "bad-size", "bad-missing", "bad-envelope", "bad-html",
                 "error"):
        fake.mode = mode
        client.judge(REPORT, CATEGORIES)
        client._failures = 0  # keep the breaker out of this one
        named[mode] = warnings(logs)[-1].split("(", 1)[1].split(")", 1)[0]
    assert named == {"bad-prose": "no JSON object in the answer", "bad-json": "no JSON object in the answer",
                     "bad-category": "unknown category", "bad-size": "unknown size", "bad-missing": "no size",
                     "bad-envelope": "answer is not a chat completion",
                     "bad-html": "answer is not JSON", "error": "HTTP 500"}


def test_a_category_outside_the_list_given_is_refused(fake, client):
    assert client.judge(REPORT, ("环境卫生", "其他")) is None


def test_a_long_reason_is_cut(fake):
    fake.rules = {"路灯": ("公共设施", "small", "很长的理由" * 100)}
    with LlmClassifier(LlmSettings(fake.url, "m"), api_key=None) as classifier:
        assert len(classifier.judge(REPORT, CATEGORIES).reason) == 120


# --- slow or absent servers ------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["slow", "trickle"])
def test_a_slow_server_gives_none_within_the_timeout(fake, client, logs, mode):
    fake.mode = mode
    started = time.monotonic()
    assert client.judge(REPORT, CATEGORIES) is None
    elapsed = time.monotonic() - started
    assert TIMEOUT * 0.9 < elapsed < TIMEOUT + 1
    (line,) = warnings(logs)
    assert "(timeout)" in line
    assert_private(logs)


def test_a_server_that_is_down_gives_none_at_once(logs):
    with LlmClassifier(LlmSettings(closed_url(), "m", timeout_seconds=TIMEOUT), api_key=KEY) as classifier:
        started = time.monotonic()
        assert classifier.judge(REPORT, CATEGORIES) is None
        assert time.monotonic() - started < TIMEOUT
    (line,) = warnings(logs)
    assert "(cannot connect)" in line
    assert_private(logs)


def test_a_server_that_stops_gives_none(fake, client, logs):
    assert client.judge(REPORT, CATEGORIES) is not None
    fake.stop()
    assert client.judge(REPORT, CATEGORIES) is None
    assert len(warnings(logs)) == 1


# --- the breaker -----------------------------------------------------------------------------

def test_three_failures_pause_the_calls_for_a_minute(fake, client, clock, logs):
    fake.mode = "error"
    for _ in range(3):
        assert client.judge(REPORT, CATEGORIES) is None
    assert len(fake.requests) == 3
    assert "3 failures in a row, not asking for 60 s" in warnings(logs)[-1]
    fake.mode = "good"
    started = time.monotonic()
    for _ in range(5):  # skipped at once, silently
        clock.now += 10
        assert client.judge(REPORT, CATEGORIES) is None
    assert time.monotonic() - started < 0.1
    assert len(fake.requests) == 3 and len(warnings(logs)) == 3
    clock.now += BREAKER_PAUSE  # the pause is over: asked again, and a good answer closes the breaker
    assert client.judge(REPORT, CATEGORIES) is not None
    assert len(fake.requests) == 4
    fake.mode = "error"
    assert client.judge(REPORT, CATEGORIES) is None
    assert client.judge(REPORT, CATEGORIES) is None
    assert len(fake.requests) == 6  # two failures after a success: not paused yet


def test_a_failed_trial_after_the_pause_pauses_again(fake, client, clock, logs):
    fake.mode = "slow"
    for _ in range(3):
        client.judge(REPORT, CATEGORIES)
    clock.now += BREAKER_PAUSE + 1
    fake.mode = "error"
    assert client.judge(REPORT, CATEGORIES) is None  # the one trial call
    assert len(fake.requests) == 4
    assert "not asking for 60 s" in warnings(logs)[-1]
    clock.now += 30
    assert client.judge(REPORT, CATEGORIES) is None
    assert len(fake.requests) == 4
    assert_private(logs)


def test_a_success_resets_the_count(fake, client):
    for mode in ("error", "error", "good", "error", "error", "good"):
        fake.mode = mode
        client.judge(REPORT, CATEGORIES)
    assert len(fake.requests) == 6
