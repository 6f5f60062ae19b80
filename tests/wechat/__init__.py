"""The WeChat adapter's tests: the real wechaty on the in-memory puppet (sandbox/wechat)."""
import importlib.util
import os

import pytest


def require_wechaty() -> None:
    """Skip the module when the ``wechat`` extra is missing; FAIL instead when ``CI=true``."""
    if importlib.util.find_spec("wechaty") is not None and importlib.util.find_spec("wechaty_puppet") is not None:
        return
    message = "the wechat extra is not installed (.venv/bin/pip install -e '.[test,wechat]')"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)
