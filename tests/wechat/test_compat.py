"""The shims in bot/wechat/compat.py were written for exact versions: a different install fails here."""
import importlib.metadata
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from . import require_wechaty

require_wechaty()

from bot.wechat import compat  # noqa: E402


def test_the_installed_wechaty_packages_are_the_pinned_versions():
    try:
        compat.check_versions()
    except compat.WeChatCompatError as exc:
        pytest.fail(f"re-check every shim in bot/wechat/compat.py before moving a pin: {exc}", pytrace=False)


def test_the_pins_match_the_wechat_extra_in_pyproject():
    requirements = importlib.metadata.requires("shangliang") or []
    extra = {r.split(";")[0].strip().replace(" ", "") for r in requirements if 'extra == "wechat"' in r}
    for name, version in compat.EXPECTED.items():
        assert f"{name}=={version}" in extra, (name, version, sorted(extra))


def test_a_different_version_is_named_with_what_was_expected():
    installed = {**compat.EXPECTED, "wechaty": "0.11.0", "pyee": "12.0.0", "urllib3": "1.26.20"}

    def version(name):
        if name == "grpclib":
            raise importlib.metadata.PackageNotFoundError(name)
        return installed[name]

    with pytest.raises(compat.WeChatCompatError) as caught:
        compat.check_versions(version)
    message = str(caught.value)
    assert "wechaty==0.10.7 (installed: 0.11.0)" in message
    assert "grpclib==0.4.9 (installed: missing)" in message
    assert "pyee>=11.0,<12 (installed: 12.0.0)" in message
    assert "urllib3" not in message and "pip install" in message


def test_wechaty_imports_with_the_shims_and_keeps_its_files_in_the_given_folder(tmp_path):
    """In a process of its own: wechaty's CACHE_DIR is fixed by the first load in a process,
    and another test in this worker (the playground's WeChat view) may have loaded it."""
    cache = tmp_path / "wechaty-cache"
    script = textwrap.dedent(f"""
        import os
        from bot.wechat import compat
        wechaty = compat.load({str(cache)!r})
        assert os.environ["CACHE_DIR"] == {str(cache.resolve())!r}, os.environ["CACHE_DIR"]
        from wechaty.schema import WechatySchedulerOptions
        assert WechatySchedulerOptions.job_store.startswith("sqlite:///" + {str(cache.resolve())!r})
        from wechaty_puppet import Puppet
        options = compat.options(Puppet())
        assert options.port == 0 and options.puppet_options is not wechaty.WechatyOptions.puppet_options
        print("ok")
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stderr[-2000:]
