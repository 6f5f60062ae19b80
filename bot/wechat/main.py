"""The WeChat adapter as ``shangliang run`` builds it: ``[wechat]`` from the config, the
puppet service's token only from the environment."""
from __future__ import annotations

from collections.abc import Mapping

from ..bootstrap import App
from ..config import AppConfig, ConfigError
from ..host import Host
from .runtime import WeChatRuntime, WeChatSettings, service_puppet_factory

TOKEN_VARIABLE = "WECHATY_PUPPET_SERVICE_TOKEN"
ENDPOINT_VARIABLE = "WECHATY_PUPPET_SERVICE_ENDPOINT"


def credentials(config: AppConfig, environ: Mapping[str, str]) -> tuple[str, str]:
    """The puppet service's token and endpoint, or a ConfigError saying what to set."""
    wc = config.wechat
    token = environ.get(TOKEN_VARIABLE, "").strip() or None
    endpoint = wc.endpoint or environ.get(ENDPOINT_VARIABLE, "").strip() or None
    # both are needed: without an endpoint wechaty-puppet-service looks the token up at
    # api.chatie.io with a blocking request (no time-out) that freezes the event loop; without
    # a token its gRPC channel fails at the first call
    if not (token and endpoint):
        raise ConfigError(f"set {TOKEN_VARIABLE} (the puppet service's token; never read from a file) and "
                          f"wechat.endpoint in the config or {ENDPOINT_VARIABLE} (host:port of the wechaty gateway)")
    if wc.puppet != "wechaty-puppet-service":
        raise ConfigError(f"wechat.puppet: only wechaty-puppet-service is supported, not {wc.puppet!r}")
    return token, endpoint


def adapter(app: App, host: Host, config: AppConfig, environ: Mapping[str, str]) -> WeChatRuntime:
    token, endpoint = credentials(config, environ)
    wc = config.wechat
    settings = WeChatSettings(start_timeout=wc.start_timeout, max_text=wc.max_text, send_pause=wc.send_pause,
                              tick_seconds=config.telegram.tick_seconds)
    return WeChatRuntime(app, puppet_factory=service_puppet_factory(token, endpoint), host=host, settings=settings)
