"""The bot itself: getMe, getUpdates and webhooks, commands, descriptions and name."""
from __future__ import annotations

import copy
import re

from .base import api, bad

LANGUAGE = re.compile(r"^([a-z]{2})?$")
COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@api("getMe")
def get_me(sb, p: dict) -> dict:
    return copy.deepcopy(sb.bot)


@api("getUpdates")
async def get_updates(sb, p: dict) -> list:
    if "allowed_updates" in p:
        sb.hub.allowed = p["allowed_updates"] or None
    updates = await sb.hub.get_updates(p.get("offset"), p.get("limit", 100), p.get("timeout", 0))
    return copy.deepcopy(updates)


@api("setWebhook")
def set_webhook(sb, p: dict) -> bool:
    if p.get("drop_pending_updates"):
        sb.hub.drop_pending()
    if p["url"] == "":
        sb.hub.webhook = None
        return True
    if not p["url"].startswith(("http://", "https://")):
        raise bad("bad webhook: An HTTPS URL must be provided for webhook")
    if "secret_token" in p and not SECRET.match(p["secret_token"]):
        raise bad("bad webhook: secret token contains unallowed characters")
    if not 1 <= p.get("max_connections", 40) <= 100:
        raise bad("bad webhook: max_connections must be between 1 and 100")
    hook = {"url": p["url"], "secret_token": p.get("secret_token"),
            "has_custom_certificate": "certificate" in p, "max_connections": p.get("max_connections", 40)}
    if p.get("allowed_updates"):
        hook["allowed_updates"] = p["allowed_updates"]
    sb.hub.webhook = hook
    sb.hub.last_error = None
    sb.hub.wake()
    return True


@api("deleteWebhook")
def delete_webhook(sb, p: dict) -> bool:
    if p.get("drop_pending_updates"):
        sb.hub.drop_pending()
    sb.hub.webhook = None
    sb.hub.wake()
    return True


@api("getWebhookInfo")
def get_webhook_info(sb, p: dict) -> dict:
    hook = sb.hub.webhook or {}
    info = {"url": hook.get("url", ""), "has_custom_certificate": hook.get("has_custom_certificate", False),
            "pending_update_count": len(sb.hub.pending)}
    if hook:
        info["max_connections"] = hook["max_connections"]
        if "allowed_updates" in hook:
            info["allowed_updates"] = hook["allowed_updates"]
        if sb.hub.last_error:
            info["last_error_date"], info["last_error_message"] = sb.hub.last_error
    return info


def _language(p: dict) -> str:
    code = p.get("language_code", "")
    if not LANGUAGE.match(code):
        raise bad(f"invalid language code {code!r}: a two-letter ISO 639-1 code or empty")
    return code


def _scope(sb, p: dict) -> str:
    scope = p.get("scope") or {"type": "default"}
    key = scope["type"]
    if "chat_id" in scope:
        key += f":{sb.world.chat(scope['chat_id']).id}"
    if "user_id" in scope:
        key += f":{scope['user_id']}"
    return key


@api("setMyCommands")
def set_my_commands(sb, p: dict) -> bool:
    language, scope = _language(p), _scope(sb, p)
    if len(p["commands"]) > 100:
        raise bad("BOT_COMMANDS_TOO_MUCH")
    for command in p["commands"]:
        if not COMMAND.match(command["command"]):
            raise bad("BOT_COMMAND_INVALID")
        if not 1 <= len(command["description"].strip()) <= 256:
            raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
    commands = [{"command": c["command"], "description": c["description"]} for c in p["commands"]]
    if commands:
        sb.scoped_commands[(scope, language)] = commands
    else:
        sb.scoped_commands.pop((scope, language), None)
    return True


@api("getMyCommands")
def get_my_commands(sb, p: dict) -> list:
    return copy.deepcopy(sb.scoped_commands.get((_scope(sb, p), _language(p)), []))


@api("deleteMyCommands")
def delete_my_commands(sb, p: dict) -> bool:
    sb.scoped_commands.pop((_scope(sb, p), _language(p)), None)
    return True


def _setter(method: str, field: str, store: str, limit: int):
    @api(method)
    def handler(sb, p: dict) -> bool:
        language, value = _language(p), p.get(field, "")
        if len(value) > limit:
            raise bad(f"{field} is too long: at most {limit} characters")
        target = getattr(sb, store)
        if value:
            target[language] = value
        else:
            target.pop(language, None)
        return True
    return handler


def _getter(method: str, field: str, store: str):
    @api(method)
    def handler(sb, p: dict) -> dict:
        target = getattr(sb, store)
        language = _language(p)
        return {field: target.get(language, target.get("", ""))}
    return handler


for _m, _f, _s, _n in (("MyDescription", "description", "descriptions", 512),
                       ("MyShortDescription", "short_description", "short_descriptions", 120),
                       ("MyName", "name", "names", 64)):
    _setter("set" + _m, _f, _s, _n)
    _getter("get" + _m, _f, _s)
