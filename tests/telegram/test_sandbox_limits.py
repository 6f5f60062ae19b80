"""The sandbox's Telegram rate limits: 30 a second overall, 20 a minute per group, about one a
second per private chat; past them a 429 with retry_after, as python-telegram-bot meets it."""
from __future__ import annotations

import warnings
from datetime import timedelta

import pytest
from telegram import Bot
from telegram.error import RetryAfter

from sandbox.telegram import ApiError, BotApiSandbox
from sandbox.telegram.limits import RateLimits, counts

GROUP, OTHER, USER = -1001, -1002, 801


class Clock:
    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


def refusal(limits: RateLimits, method: str, chat, kind) -> ApiError:
    with pytest.raises(ApiError) as caught:
        limits.charge(method, chat, kind)
    assert caught.value.code == 429
    return caught.value


def test_twenty_messages_a_minute_per_group_in_any_sixty_seconds():
    clock = Clock()
    limits = RateLimits(clock=clock)
    for i in range(20):
        limits.charge("sendMessage", GROUP, "supergroup")
        clock.at += 0.5  # 20 sends over ten seconds
    error = refusal(limits, "sendMessage", GROUP, "supergroup")
    assert error.retry_after == 50  # the first leaves the window 60 s after it was sent
    assert error.envelope() == {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 50",
                                "parameters": {"retry_after": 50}}
    limits.charge("sendMessage", OTHER, "group")  # another group is not held up
    clock.at = 1000.0 + 60  # the first send is out of the window: one more, not two
    limits.charge("sendMessage", GROUP, "supergroup")
    assert refusal(limits, "sendPhoto", GROUP, "supergroup").retry_after == 1
    assert limits.refused == 2 and limits.refusals == {"group": 2}
    assert len(limits.admitted) == 22


def test_thirty_a_second_overall_with_a_burst_then_the_rate():
    clock = Clock()
    limits = RateLimits(clock=clock)
    for user in range(30):  # thirty different people at once: the burst
        limits.charge("sendMessage", user + 1, "private")
    error = refusal(limits, "sendMessage", 99, "private")
    assert error.retry_after == 1
    assert limits.refusals == {"overall": 1}
    clock.at += 1 / 30  # the bucket refills at 30 a second
    limits.charge("sendMessage", 99, "private")
    refusal(limits, "sendDocument", 100, "private")
    clock.at += 10
    for user in range(30):
        limits.charge("sendMessage", 200 + user, "private")
    assert limits.refused == 2


def test_about_one_a_second_per_private_chat_with_short_bursts():
    clock = Clock()
    limits = RateLimits(clock=clock)
    for _ in range(3):
        limits.charge("sendMessage", USER, "private")
    assert refusal(limits, "sendMessage", USER, "private").retry_after == 1
    clock.at += 1.0
    limits.charge("sendMessage", USER, "private")
    refusal(limits, "sendMessage", USER, "private")
    assert limits.refusals == {"private": 2}


def test_only_sending_methods_count_and_a_refused_call_charges_nothing():
    assert counts("sendMessage") and counts("sendPoll") and counts("forwardMessage") and counts("copyMessage")
    assert not any(counts(m) for m in ("sendChatAction", "editMessageText", "stopPoll", "answerCallbackQuery",
                                       "getUpdates", "getMe", "createForumTopic"))
    clock = Clock()
    limits = RateLimits(clock=clock)
    for _ in range(100):
        limits.charge("editMessageText", GROUP, "supergroup")
    for _ in range(20):
        limits.charge("sendMessage", GROUP, "supergroup")
    for _ in range(5):  # refused by the group window: the overall bucket is not charged
        refusal(limits, "sendMessage", GROUP, "supergroup")
    for user in range(10):  # 20 + 10 = the overall burst exactly
        limits.charge("sendMessage", user + 1, "private")
    assert refusal(limits, "sendMessage", 500, "private").retry_after == 1
    assert limits.refusals == {"group": 5, "overall": 1}


@pytest.mark.asyncio
async def test_over_http_python_telegram_bot_meets_429_with_retry_after_and_limits_are_off_by_default():
    async with BotApiSandbox() as plain, BotApiSandbox(limits=True) as limited:
        for sb in (plain, limited):
            sb.add_user(USER, "王阿姨")
            sb.add_chat(GROUP, "supergroup", title="幸福里居民群")
        assert plain.limits is None
        async with Bot(plain.token, base_url=f"{plain.url}/bot") as bot:
            for i in range(25):
                await bot.send_message(GROUP, f"第 {i} 条")
        assert len(plain.sent(GROUP)) == 25

        async with Bot(limited.token, base_url=f"{limited.url}/bot") as bot:
            for i in range(20):
                await bot.send_message(GROUP, f"第 {i} 条")
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(GROUP, "第 21 条")
            await bot.edit_message_text("改过", chat_id=GROUP, message_id=1)  # edits are not counted
        with warnings.catch_warnings():  # PTB 22 warns that retry_after becomes a timedelta
            warnings.simplefilter("ignore")
            retry_after = caught.value.retry_after
        seconds = retry_after.total_seconds() if isinstance(retry_after, timedelta) else retry_after
        assert 58 <= seconds <= 60
        assert len(limited.sent(GROUP)) == 20
        assert limited.limits.refused == 1 and limited.limits.refusals == {"group": 1}
        answer = limited.calls_to("sendMessage")[-1].answer
        assert answer["error_code"] == 429 and answer["parameters"]["retry_after"] == seconds
        assert plain.errors == [] and limited.errors == []
