"""``[intake.llm]``: off by default, checked clearly when written, its key never in the file."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load
from bot.llm import LlmSettings, api_key

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"
ON = '[intake.llm]\nenabled = true\nbase_url = "https://api.deepseek.com/v1/"\nmodel = "deepseek-chat"\n'


@pytest.fixture
def write(tmp_path):
    def _write(text: str) -> Path:
        path = tmp_path / "config.toml"
        path.write_text(text, "utf-8")
        return path
    return _write


def test_off_by_default():
    assert load().intake_llm is None
    assert load(EXAMPLE).intake_llm is None


def test_off_without_the_table_or_when_not_enabled(write):
    assert load(write('[intake]\nwords = ["幸福里"]\n')).intake_llm is None
    assert load(write("[intake.llm]\n")).intake_llm is None
    assert load(write(ON.replace("enabled = true", "enabled = false"))).intake_llm is None


def test_enabled(write):
    config = load(write(ON), environ={})
    assert config.intake_llm == LlmSettings(base_url="https://api.deepseek.com/v1", model="deepseek-chat",
                                            timeout_seconds=4.0, api_key_env="SHANGLIANG_LLM_API_KEY")


def test_every_key(write):
    text = ('[intake]\nwords = ["幸福里"]\n\n[intake.llm]\nenabled = true\nbase_url = "http://127.0.0.1:11434/v1"\n'
            'model = "qwen2.5:7b"\ntimeout_seconds = 2.5\napi_key_env = "COMMUNITY_LLM_KEY"\n')
    config = load(write(text))
    assert config.intake_words == ("幸福里",)
    assert config.intake_llm == LlmSettings("http://127.0.0.1:11434/v1", "qwen2.5:7b", 2.5, "COMMUNITY_LLM_KEY")


def test_the_inline_table_form_works_too(write):
    text = '[intake]\nllm = {enabled = true, base_url = "https://dashscope.aliyuncs.com/compatible-mode/v1", ' \
           'model = "qwen-plus", timeout_seconds = 3}\n'
    assert load(write(text)).intake_llm.model == "qwen-plus"


def test_the_key_comes_from_the_environment_and_is_in_no_config_object(write):
    secret = "sk-never-in-config-42"
    config = load(write(ON), environ={"SHANGLIANG_LLM_API_KEY": secret})
    assert secret not in repr(config) and secret not in repr(config.intake_llm)
    assert api_key(config.intake_llm, {"SHANGLIANG_LLM_API_KEY": secret}) == secret


@pytest.mark.parametrize("key", ["api_key", "key"])
def test_a_key_in_the_file_is_refused(write, key):
    with pytest.raises(ConfigError, match="never read from the file.*SHANGLIANG_LLM_API_KEY"):
        load(write(ON + f'{key} = "sk-oops"\n'))


@pytest.mark.parametrize("text, message", [
    ('[intake.llm]\nenabled = true\nmodel = "deepseek-chat"\n', "enabled = true needs base_url"),
    ('[intake.llm]\nenabled = true\nbase_url = "https://api.deepseek.com/v1"\n', "enabled = true needs model"),
    ("[intake.llm]\nenabled = true\n", "needs base_url and model"),
    ('[intake.llm]\nenabled = "yes"\n', "enabled must be true or false"),
    (ON.replace("https://", "ftp://"), "must start with http:// or https://"),
    (ON.replace("https://", ""), "must start with http:// or https://"),
    (ON.replace("/v1/", "/v1/chat/completions"), "without /chat/completions"),
    (ON.replace("https://", "https://user:sk-oops@"), "must not carry a user or key"),
    (ON + "timeout_seconds = 0\n", "timeout_seconds must be a number"),
    (ON + 'timeout_seconds = "4s"\n', "timeout_seconds must be a number"),
    (ON + "timeout_seconds = 600\n", "at most 60"),
    (ON + 'api_key_env = "sk-abc123-xyz"\n', "NAME of the environment variable"),
    ('[intake.llm]\nbase_url = "https://api.deepseek.com/v1"\nmodel = 3\n', "must be text"),
    (ON + 'modle = "x"\n', r"intake\.llm: unknown key\(s\) modle; known: api_key_env, base_url"),
    ('[intake]\nllm = "https://api.deepseek.com/v1"\n', "intake.llm: expected a table"),
])
def test_mistakes_are_explained(write, text, message):
    with pytest.raises(ConfigError, match=message):
        load(write(text))


def test_values_are_checked_while_off(write):
    with pytest.raises(ConfigError, match="http:// or https://"):
        load(write('[intake.llm]\nbase_url = "api.deepseek.com"\n'))


def test_the_example_block_loads_once_uncommented(write):
    lines = EXAMPLE.read_text("utf-8").splitlines()
    start = lines.index("# [intake.llm]")
    block = []
    for line in lines[start:]:
        if not line.startswith("# "):
            break
        block.append(line[2:])
    text = "\n".join(lines[:start] + block + lines[start + len(block):])
    assert load(write(text)).intake_llm == LlmSettings("https://api.deepseek.com/v1", "deepseek-chat", 4.0)
