"""User-facing text: both languages say the same things with the same blanks to fill."""
from __future__ import annotations

import string

import pytest

from handlers.lifecycle import RULES, Role, State
from handlers.texts import en, t, word, zh

GROUPS = ("STATES", "SIZES", "RATINGS", "ROLES", "ACTIONS", "KINDS", "POSITIONS")


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def test_same_keys_in_both_languages():
    assert set(zh.TEXTS) - set(en.TEXTS) == set(), "missing in English"
    assert set(en.TEXTS) - set(zh.TEXTS) == set(), "missing in Chinese"


@pytest.mark.parametrize("key", sorted(zh.TEXTS))
def test_same_placeholders_in_both_languages(key):
    assert placeholders(zh.TEXTS[key]) == placeholders(en.TEXTS.get(key, zh.TEXTS[key]))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_template_renders_with_its_placeholders(lang):
    for key in zh.TEXTS:
        params = {name: f"<{name}>" for name in placeholders(zh.TEXTS[key])}
        rendered = t(lang, key, **params)
        for name in params:
            assert f"<{name}>" in rendered, (lang, key, name)


@pytest.mark.parametrize("group", GROUPS)
def test_word_groups_have_the_same_keys(group):
    assert set(getattr(zh, group)) == set(getattr(en, group))


def test_every_state_has_a_name():
    for state in State:
        assert state.value in zh.STATES and state.value in en.STATES


def test_every_user_action_has_a_name():
    for action, rule in RULES.items():
        if rule.role < Role.SYSTEM:
            assert action in zh.ACTIONS and action in en.ACTIONS, action


def test_refusals_from_the_state_machine_have_texts():
    for key in ("refused.role", "refused.state"):
        assert key in zh.TEXTS and key in en.TEXTS


def test_english_is_english_and_chinese_is_chinese():
    assert t("en", "refused.unknown_command", name="foo") == en.TEXTS["refused.unknown_command"].format(name="foo")
    assert t("zh", "refused.unknown_command", name="foo") == zh.TEXTS["refused.unknown_command"].format(name="foo")
    assert t("en", "refused.unknown_command", name="foo") != t("zh", "refused.unknown_command", name="foo")


@pytest.mark.parametrize("lang", ["fr", "", None, "zh-TW"])
def test_missing_language_falls_back_to_chinese(lang):
    assert t(lang, "refused.unknown_command", name="foo") == t("zh", "refused.unknown_command", name="foo")


def test_missing_english_key_falls_back_to_chinese(monkeypatch):
    monkeypatch.delitem(en.TEXTS, "refused.unknown_command")
    assert t("en", "refused.unknown_command", name="foo") == t("zh", "refused.unknown_command", name="foo")


def test_unknown_key_is_an_error_not_a_blank_message():
    with pytest.raises(KeyError):
        t("zh", "no.such.key")


def test_word_names_things_in_each_language():
    assert word("zh", "state", "claimed") == "已接单"
    assert word("en", "state", "claimed") == "claimed"
    assert word("fr", "size", "big") == "大事"
    assert word("en", "state", "no-such-state") == "no-such-state"
