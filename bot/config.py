"""One configuration object, loaded and checked once at start-up from TOML and the environment.

Secrets never live in the file: the database URL may come from ``SHANGLIANG_DATABASE_URL``
and platform tokens only from the environment.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .llm import LlmSettings
from handlers.directory import CHAT_KINDS, ROLES, ChatEntry, Directory, GridEntry, PersonEntry
from handlers.settings import SIZES, Settings, Sla
from storage.db import DEFAULT_URL

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|h|d|w)\s*$")
_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PLATFORM_KEYS = ("telegram", "wechat")


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class ConfigError(ValueError):
    """The configuration is wrong; the message says where and how."""


@dataclass(frozen=True)
class TelegramSettings:
    """``[telegram]``: where the Bot API lives and how updates arrive. The token is not here."""

    base_url: str = "https://api.telegram.org"
    webhook_url: str | None = None       # set → webhook mode; unset → long polling
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_path: str = "telegram"
    rate_limit: bool = True              # ~30 messages/s overall, 20/min per group
    tick_seconds: float = 5.0
    enabled: bool = True                 # `shangliang run` serves Telegram


@dataclass(frozen=True)
class WeChatSettings:
    """``[wechat]``: a wechaty puppet service. Its token comes only from the environment
    (``WECHATY_PUPPET_SERVICE_TOKEN``)."""

    enabled: bool = False                # `shangliang run` serves WeChat rooms too
    puppet: str = "wechaty-puppet-service"
    endpoint: str | None = None          # host:port of the puppet service's gateway
    send_pause: float = 1.0              # seconds between two sends (WeChat restricts fast senders)
    max_text: int = 2000                 # longer texts are split
    start_timeout: float = 60.0          # seconds to wait for the login before giving up


@dataclass(frozen=True)
class AppConfig:
    database_url: str = DEFAULT_URL
    settings: Settings = field(default_factory=Settings)
    directory: Directory = field(default_factory=Directory)
    lexicon: Path | None = None
    source: str = "(defaults)"
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    wechat: WeChatSettings = field(default_factory=WeChatSettings)
    sizes: Path | None = None
    intake_words: tuple[str, ...] = ()
    landmarks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    intake_llm: LlmSettings | None = None  # [intake.llm] enabled; its key stays in the environment

    @property
    def platforms(self) -> tuple[str, ...]:
        """The chat platforms `shangliang run` serves."""
        return tuple(p for p, on in (("telegram", self.telegram.enabled), ("wechat", self.wechat.enabled)) if on)


def duration(value: str, where: str) -> timedelta:
    match = _DURATION.match(str(value))
    if not match:
        raise ConfigError(f"{where}: {value!r} is not a duration like 30m, 24h, 3d or 1w")
    return timedelta(seconds=float(match.group(1)) * _SECONDS[match.group(2)])


#: Every key the file may hold; anything else is a typo and is refused.
KNOWN = {
    "": {"database", "community", "deadlines", "survey", "intake", "deliberation", "charts", "grids", "chats", "people",
         "telegram", "wechat"},
    "deliberation": {"quorum_count", "pass_threshold", "hide_results", "public_notice", "notice_period",
                     "residents_vote", "residents_vote_period", "residents_quorum", "review_reminder"},
    "database": {"url"},
    "community": {"timezone", "language", "report_tags", "poll_options", "quorum_share", "digest_time",
                  "digest_when_quiet", "weekly_summary_day", "members_monthly"},
    "charts": {"font"},
    "deadlines": {"poll", "poll_reminder", "response", "resolution"},
    "survey": {"delay", "reminder_after", "open_for"},
    "intake": {"lexicon", "sizes", "words", "landmarks", "flood_per_minute", "llm"},
    "intake.llm": {"enabled", "base_url", "model", "timeout_seconds", "api_key_env"},
    "telegram": {"base_url", "webhook_url", "webhook_listen", "webhook_port", "webhook_path", "rate_limit",
                 "tick_seconds", "enabled"},
    "wechat": {"enabled", "puppet", "endpoint", "send_pause", "max_text", "start_timeout"},
    "grids": {"key", "name"},
    "chats": {"key", "kind", "grid", "title", *PLATFORM_KEYS},
    "people": {"handle", "name", "roles", "grid", "language", *PLATFORM_KEYS},
}


def _check_keys(data: dict) -> None:
    for section, allowed in KNOWN.items():
        tables = [data] if section == "" else _table(data, section)
        if section == "intake.llm" and isinstance(tables, dict) and {"key", "api_key"} & set(tables):
            raise ConfigError("intake.llm: the key is never read from the file; set the environment variable "
                              "named by api_key_env (default SHANGLIANG_LLM_API_KEY)")
        tables = tables if isinstance(tables, list) else [tables]
        for i, table in enumerate(tables):
            if not isinstance(table, dict):
                raise ConfigError(f"{section}: expected a table")
            unknown = sorted(set(table) - allowed)
            if unknown:
                where = section or "top level"
                where += f"[{i}]" if isinstance(data.get(section), list) else ""
                raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}")


def _table(data: dict, section: str) -> object:
    """``data[section]`` for a dotted section name (``intake.llm``), or ``{}``."""
    value: object = data
    for part in section.split("."):
        value = value.get(part, {}) if isinstance(value, dict) else {}
    return value


def load(path: str | Path | None = None, environ: dict[str, str] | None = None) -> AppConfig:
    """Read ``path`` (or use defaults) and the environment; raise ``ConfigError`` on mistakes."""
    env = os.environ if environ is None else environ
    data: dict = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text("utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {path} not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    _check_keys(data)
    url = env.get("SHANGLIANG_DATABASE_URL") or data.get("database", {}).get("url") or DEFAULT_URL
    intake = data.get("intake", {})
    lexicon, sizes = intake.get("lexicon"), intake.get("sizes")
    base = Path(path).parent if path else Path.cwd()
    words = intake.get("words", [])
    landmarks = intake.get("landmarks", {})
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise ConfigError('intake.words must be a list of words, e.g. ["幸福里", "纺织厂宿舍"]')
    if not isinstance(landmarks, dict) or not all(isinstance(v, list) for v in landmarks.values()):
        raise ConfigError('intake.landmarks maps a place to its names, e.g. {菜市场 = ["菜场", "农贸市场"]}')
    return AppConfig(database_url=url, settings=_settings(data), directory=_directory(data),
                     lexicon=(base / lexicon) if lexicon else None, source=str(path or "(defaults)"),
                     telegram=_telegram(data.get("telegram", {})), wechat=_wechat(data.get("wechat", {})),
                     sizes=(base / sizes) if sizes else None, intake_words=tuple(words),
                     landmarks={k: tuple(v) for k, v in landmarks.items()},
                     intake_llm=_intake_llm(intake.get("llm", {})))


def _intake_llm(table: dict) -> LlmSettings | None:
    """``[intake.llm]``: an OpenAI-compatible model asked first (off unless enabled = true).

    The values are checked even while it is off, so switching it on later holds no surprise.
    """
    enabled = table.get("enabled", False)
    if not isinstance(enabled, bool):
        raise ConfigError("intake.llm.enabled must be true or false (without quotes)")
    base_url, model = table.get("base_url", ""), table.get("model", "")
    if not isinstance(base_url, str) or not isinstance(model, str):
        raise ConfigError("intake.llm.base_url and intake.llm.model must be text in quotes")
    base_url, model = base_url.strip().rstrip("/"), model.strip()
    if base_url and not base_url.startswith(("http://", "https://")):
        raise ConfigError('intake.llm.base_url must start with http:// or https://, e.g. "https://api.deepseek.com/v1"')
    if "@" in base_url.split("://", 1)[-1].split("/", 1)[0]:
        raise ConfigError("intake.llm.base_url must not carry a user or key; set the environment variable "
                          "named by api_key_env instead")
    if base_url.endswith("/chat/completions"):
        raise ConfigError("intake.llm.base_url is the address without /chat/completions (it is added), "
                          'e.g. "https://api.deepseek.com/v1"')
    timeout = table.get("timeout_seconds", 4.0)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not 0 < timeout <= 60:
        raise ConfigError("intake.llm.timeout_seconds must be a number of seconds above 0 and at most 60, e.g. 4")
    key_env = table.get("api_key_env", "SHANGLIANG_LLM_API_KEY")
    if not isinstance(key_env, str) or not _ENV_NAME.match(key_env):
        raise ConfigError("intake.llm.api_key_env is the NAME of the environment variable holding the key, "
                          'e.g. "SHANGLIANG_LLM_API_KEY" (the key itself never goes in the file)')
    if not enabled:
        return None
    missing = [key for key, value in (("base_url", base_url), ("model", model)) if not value]
    if missing:
        raise ConfigError(f"intake.llm: enabled = true needs {' and '.join(missing)}, "
                          'e.g. base_url = "https://api.deepseek.com/v1", model = "deepseek-chat"')
    return LlmSettings(base_url=base_url, model=model, timeout_seconds=float(timeout), api_key_env=key_env)


def _telegram(table: dict) -> TelegramSettings:
    default = TelegramSettings()
    try:
        tg = TelegramSettings(
            base_url=str(table.get("base_url", default.base_url)).rstrip("/"),
            webhook_url=table.get("webhook_url") or None,
            webhook_listen=str(table.get("webhook_listen", default.webhook_listen)),
            webhook_port=int(table.get("webhook_port", default.webhook_port)),
            webhook_path=str(table.get("webhook_path", default.webhook_path)).strip("/"),
            rate_limit=table.get("rate_limit", default.rate_limit),
            tick_seconds=float(table.get("tick_seconds", default.tick_seconds)),
            enabled=table.get("enabled", default.enabled))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"telegram: {exc}") from None
    if not isinstance(tg.enabled, bool):
        raise ConfigError("telegram.enabled must be true or false")
    if not tg.base_url.startswith(("http://", "https://")):
        raise ConfigError("telegram.base_url must start with http:// or https://")
    if not isinstance(tg.rate_limit, bool):
        raise ConfigError("telegram.rate_limit must be true or false")
    if tg.webhook_url and not tg.webhook_url.startswith("https://"):
        raise ConfigError("telegram.webhook_url must be an https:// address Telegram can reach")
    return tg


def _wechat(table: dict) -> WeChatSettings:
    default = WeChatSettings()
    try:
        wc = WeChatSettings(
            enabled=table.get("enabled", default.enabled), puppet=str(table.get("puppet", default.puppet)),
            endpoint=str(table["endpoint"]) if table.get("endpoint") else None,
            send_pause=float(table.get("send_pause", default.send_pause)),
            max_text=int(table.get("max_text", default.max_text)),
            start_timeout=float(table.get("start_timeout", default.start_timeout)))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"wechat: {exc}") from None
    if not isinstance(wc.enabled, bool):
        raise ConfigError("wechat.enabled must be true or false")
    if wc.send_pause < 0 or wc.max_text < 100 or wc.start_timeout <= 0:
        raise ConfigError("wechat: send_pause must be ≥ 0, max_text ≥ 100 and start_timeout > 0")
    return wc


def _settings(data: dict) -> Settings:
    c = data.get("community", {})
    d = data.get("deadlines", {})
    s = data.get("survey", {})
    settings = Settings()
    try:
        ZoneInfo(c.get("timezone", settings.timezone))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"community.timezone: unknown time zone {c.get('timezone')!r}") from None
    try:
        share = float(c.get("quorum_share", settings.quorum_share))
    except (TypeError, ValueError):
        raise ConfigError("community.quorum_share must be a number above 0 and at most 1") from None
    if not 0 < share <= 1:
        raise ConfigError("community.quorum_share must be above 0 and at most 1")
    try:
        hour, minute = (int(x) for x in str(c.get("digest_time", "08:30")).split(":"))
        digest_time = time(hour, minute)
    except ValueError:
        raise ConfigError("community.digest_time must look like 08:30") from None
    response = _per_size(d.get("response", {}), {k: v.response for k, v in settings.sla.items()},
                         "deadlines.response")
    resolution = _per_size(d.get("resolution", {}), {k: v.resolution for k, v in settings.sla.items()},
                           "deadlines.resolution")
    sla = {size: Sla(response[size], resolution[size]) for size in SIZES}
    language = c.get("language", settings.language)
    if language not in ("zh", "en"):
        raise ConfigError("community.language must be zh or en")
    quiet = c.get("digest_when_quiet", settings.digest_when_quiet)
    if not isinstance(quiet, bool):
        raise ConfigError("community.digest_when_quiet must be true or false (without quotes)")
    options = c.get("poll_options", list(settings.poll_options))
    if not isinstance(options, list) or not 2 <= len(options) <= 10 or not all(isinstance(o, str) and o.strip()
                                                                                 for o in options):
        raise ConfigError("community.poll_options must list 2 to 10 options")
    tags = c.get("report_tags", list(settings.report_tags))
    if not isinstance(tags, list) or not tags or not all(isinstance(t, str) and t.strip("#＃") for t in tags):
        raise ConfigError('community.report_tags must be a list of tags, e.g. ["#报事", "#建议"]')
    weekly = c.get("weekly_summary_day", "monday")
    if weekly not in WEEKDAYS and weekly not in ("", "none"):
        raise ConfigError('community.weekly_summary_day must be a weekday such as "monday", or "none"')
    monthly = c.get("members_monthly", settings.members_monthly)
    if not isinstance(monthly, bool):
        raise ConfigError("community.members_monthly must be true or false (without quotes)")
    font = data.get("charts", {}).get("font", "")
    if not isinstance(font, str):
        raise ConfigError("charts.font must be the path of a font file")
    return replace(
        settings,
        weekly_day=WEEKDAYS.index(weekly) if weekly in WEEKDAYS else None,
        members_monthly=monthly,
        chart_font=font,
        timezone=c.get("timezone", settings.timezone),
        language=language,
        report_tags=tuple(tags),
        quorum_share=share,
        flood_per_minute=_positive_int(data.get("intake", {}).get("flood_per_minute", settings.flood_per_minute),
                                       "intake.flood_per_minute"),
        poll_options=tuple(options),
        digest_time=digest_time,
        digest_when_quiet=quiet,
        poll_duration=_per_size(d.get("poll", {}), settings.poll_duration, "deadlines.poll"),
        poll_reminder_before=_per_size(d.get("poll_reminder", {}), settings.poll_reminder_before,
                                       "deadlines.poll_reminder"),
        survey_delay=duration(s.get("delay", _fmt(settings.survey_delay)), "survey.delay"),
        survey_reminder_after=duration(s.get("reminder_after", _fmt(settings.survey_reminder_after)),
                                       "survey.reminder_after"),
        survey_open_for=duration(s.get("open_for", _fmt(settings.survey_open_for)), "survey.open_for"),
        sla=sla,
        **_deliberation(data.get("deliberation", {}), settings),
    )


def _deliberation(table: dict, default: Settings) -> dict:
    """``[deliberation]``: quorum and passing rules, hidden results, notice and residents' vote."""
    out: dict = {}
    for key in ("hide_results", "public_notice", "residents_vote", "review_reminder"):
        if key in table:
            if not isinstance(table[key], bool):
                raise ConfigError(f"deliberation.{key} must be true or false")
            out[key] = table[key]
    for key in ("notice_period", "residents_vote_period"):
        if key in table:
            out[key] = duration(table[key], f"deliberation.{key}")
    if "quorum_count" in table:
        out["quorum_count"] = _positive_int(table["quorum_count"], "deliberation.quorum_count")
    if "residents_quorum" in table:
        out["residents_quorum"] = _positive_int(table["residents_quorum"], "deliberation.residents_quorum")
    if "pass_threshold" in table:
        value = table["pass_threshold"]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value <= 1:
            raise ConfigError("deliberation.pass_threshold must be a share above 0 and at most 1, e.g. 0.667")
        out["pass_threshold"] = float(value)
    return out


def _per_size(table: dict, default: dict[str, timedelta], where: str) -> dict[str, timedelta]:
    unknown = set(table) - set(SIZES)
    if unknown:
        raise ConfigError(f"{where}: unknown size {sorted(unknown)} (use small, big, urgent)")
    return {size: duration(table[size], f"{where}.{size}") if size in table else default[size] for size in SIZES}


def _fmt(delta: timedelta) -> str:
    return f"{int(delta.total_seconds() // 60)}m"


def _positive_int(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{where} must be a whole number of at least 1")
    return value


def _unique(keys: list[str], what: str) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise ConfigError(f"{what} {key!r} appears twice")
        seen.add(key)


def _need(table: dict, key: str, where: str) -> str:
    value = table.get(key) if isinstance(table, dict) else None
    if value in (None, ""):
        raise ConfigError(f"{where}: '{key}' is required")
    return str(value)


def _directory(data: dict) -> Directory:
    grids = tuple(GridEntry(_need(g, "key", f"grids[{i}]"), g.get("name", g["key"]))
                  for i, g in enumerate(data.get("grids", [])))
    keys = {g.key for g in grids}
    chats = []
    for i, c in enumerate(data.get("chats", [])):
        where = f"chats[{i}]"
        if c.get("kind") not in CHAT_KINDS:
            raise ConfigError(f"{where}.kind must be one of {', '.join(CHAT_KINDS)}")
        if c.get("kind") == "grid" and c.get("grid") not in keys:
            raise ConfigError(f"{where}: a grid chat needs grid = one of {sorted(keys)}")
        chats.append(ChatEntry(key=_need(c, "key", where), kind=c["kind"], grid=c.get("grid"), title=c.get("title", ""),
                               ids={p: str(c[p]) for p in PLATFORM_KEYS if p in c}))
    people = []
    for i, p in enumerate(data.get("people", [])):
        roles = tuple(p.get("roles", ["resident"]))
        if not set(roles) <= set(ROLES):
            raise ConfigError(f"people[{i}].roles: use {', '.join(ROLES)}")
        if p.get("grid") is not None and p["grid"] not in keys:
            raise ConfigError(f"people[{i}].grid: no grid {p['grid']!r}")
        handle = _need(p, "handle", f"people[{i}]")
        people.append(PersonEntry(handle=handle, name=p.get("name", handle), roles=roles,
                                  grid=p.get("grid"), language=p.get("language", "zh"),
                                  ids={k: str(p[k]) for k in PLATFORM_KEYS if k in p}))
    _unique([g.key for g in grids], "grid key")
    _unique([c.key for c in chats], "chat key")
    _unique([p.handle for p in people], "person handle")
    return Directory(grids=grids, chats=tuple(chats), people=tuple(people))
