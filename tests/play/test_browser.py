"""The playground as a visitor meets it: `shangliang play` started as its own process, the
page opened in headless Chromium (Debian's chromium and chromedriver, driven by Selenium).

A resident reports, a member claims by clicking the button, two members vote in the poll by
clicking options, time moves past the deadline, the plan is recorded and the matter
resolved, a day passes and the resident answers the survey in her private chat; then the
server stops and the page says so. Each step leaves a screenshot in
``artifacts/playground/`` for a reviewer to look at. Without the browser the test fails under
``CI=true`` (``.ci/run`` installs it) and is skipped elsewhere.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "playground"
CHROMIUM, DRIVER = shutil.which("chromium") or "/usr/bin/chromium", shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _need_browser() -> None:
    missing = [p for p in (CHROMIUM, DRIVER) if not Path(p).exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip install -e '.[test]')")
    if missing:
        message = f"the browser test needs {', '.join(missing)} (apt-get install chromium chromium-driver)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """`shangliang play` on a free port, as the README starts it; stopped afterwards."""
    port = _free_port()
    command = [sys.executable, "-m", "bot.cli", "play", "--port", str(port), "--data", str(tmp_path / "play")]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        lines.append(line)
        if "is ready" in line:
            break
    else:
        process.kill()
    if not any("is ready" in line for line in lines):
        process.kill()
        pytest.fail("shangliang play did not start:\n" + "".join(lines))
    assert f"http://127.0.0.1:{port}" in "".join(lines)
    yield process, f"http://127.0.0.1:{port}"
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def browser():
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1680,1050", "--lang=zh-CN"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


class Visitor:
    """What a person at the page does: pick a persona, type in a chat, click, look."""

    def __init__(self, driver, folder: Path) -> None:
        from selenium.webdriver.support.ui import WebDriverWait
        self.driver, self.folder, self.shots = driver, folder, 0
        from selenium.common.exceptions import StaleElementReferenceException
        # the page redraws a chat when it changes: an element looked up just before may be gone
        self.wait = WebDriverWait(driver, 30, poll_frequency=0.1, ignored_exceptions=[StaleElementReferenceException])
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def find(self, css: str, within=None):
        from selenium.webdriver.common.by import By
        return (within or self.driver).find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str, within=None):
        from selenium.webdriver.common.by import By
        return (within or self.driver).find_elements(By.CSS_SELECTOR, css)

    def until(self, condition, what: str):
        from selenium.common.exceptions import TimeoutException
        try:
            return self.wait.until(lambda d: condition())
        except TimeoutException:
            self.shot("timed-out")
            raise AssertionError(f"timed out waiting for {what}") from None

    def shot(self, name: str) -> None:
        self.shots += 1
        self.driver.save_screenshot(str(self.folder / f"{self.shots:02d}-{name}.png"))

    def be(self, handle: str) -> None:
        self.find(f"#persona-{handle}").click()
        self.until(lambda: "selected" in (self.find(f"#persona-{handle}").get_attribute("class") or "")
                   or self.find(f"#persona-{handle}").get_attribute("aria-pressed") == "true", f"{handle} chosen")

    def chat_text(self, key: str) -> str:
        return self.find(f"#chat-{key} .messages").text

    def bot_messages(self, key: str):
        return self.find_all(f"#chat-{key} .msg.bot")

    def say(self, key: str, text: str) -> None:
        from selenium.webdriver.common.keys import Keys
        before = len(self.find_all(f"#chat-{key} .msg"))
        box = self.find(f"#chat-{key} .compose")
        self.until(box.is_enabled, "the box to type in (it waits while the playground is busy)")
        box.clear()
        box.send_keys(text)
        box.send_keys(Keys.ENTER)
        # the bot answers in the same chat (its answer quotes the message)
        self.until(lambda: len(self.find_all(f"#chat-{key} .msg")) >= before + 2, f"an answer in {key} to {text!r}")
        self.until(lambda: self.find(f"#chat-{key} .compose").get_attribute("value") == "", "the box emptied")

    def click_button(self, key: str, label: str) -> None:
        def click() -> bool:
            for element in reversed(self.find_all(f"#chat-{key} .button")):
                if element.text.strip() == label and element.is_enabled():
                    element.click()
                    return True
            return False
        self.until(click, f"a button {label!r} in {key}")

    def click_first(self, selector: str, what: str) -> None:
        """Click the first element matching ``selector``, again if the page re-rendered it meanwhile."""
        def click() -> bool:
            found = self.find_all(selector)
            if found and found[0].is_enabled():
                found[0].click()
                return True
            return False
        self.until(click, what)

    def toast(self) -> str:
        return self.until(lambda: self.find("#toast").is_displayed() and self.find("#toast").text.strip(), "a toast")


def test_a_concern_from_report_to_survey_in_the_browser(server, browser):
    process, url = server
    me = Visitor(browser, SHOTS / "report-to-survey")
    browser.get(url)
    me.until(lambda: me.find("#clock").text.strip().endswith("09:00"), "the simulated clock")
    for key in ("grid-1", "committee", "coordinators", "private"):
        assert me.find(f"#chat-{key}").is_displayed()
    me.shot("empty")
    # nothing leaves the machine: every resource the page loaded came from the playground itself
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(u.startswith(url + "/") for u in loaded), loaded

    # 王阿姨 opens her private chat with the bot (so it may write to her), then reports in the grid
    me.be("wang")
    me.say("private", "/start")
    me.say("grid-1", "#报事 3栋门口路灯坏了一周了，晚上老人下楼看不清")
    me.until(lambda: "#1" in me.bot_messages("grid-1")[-1].text, "the report's number in the grid")
    me.until(lambda: "新报事 #1" in me.chat_text("committee"), "the committee's card")
    me.shot("reported")

    # 刘委员 claims it with the card's button; the card changes in place
    me.be("liu")
    me.click_button("committee", "接单")
    assert me.toast()
    me.until(lambda: "接单：刘委员" in me.chat_text("committee"), "the card edited to show who claimed it")
    me.until(lambda: "刘委员 接单" in me.chat_text("grid-1"), "the grid told")
    me.shot("claimed")

    # a deliberation: two members vote by clicking options of the native poll
    me.say("committee", "/deliberate 1 要不要更换3栋门口路灯 同意/反对 2h")
    me.click_first("#chat-committee .poll-option", "the poll's first option")
    me.until(lambda: "共 1 人投票" in me.chat_text("committee"), "刘委员's vote counted")
    me.be("zhao")
    me.click_first("#chat-committee .poll-option", "the poll's first option")
    me.until(lambda: "共 2 人投票" in me.chat_text("committee"), "赵委员's vote counted")
    me.shot("voted")

    # time passes the deadline: the poll closes and the committee hears the result
    clock = me.find("#clock").text
    for _ in range(3):
        # the page disables its buttons while the server works (a click then does nothing)
        me.until(lambda: me.find("#time-hour").is_enabled(), "the page ready for the next hour")
        me.find("#time-hour").click()
        me.until(lambda: me.find("#clock").text != clock, "the clock moved")
        clock = me.find("#clock").text
    assert clock.endswith("12:00"), clock
    me.until(lambda: "投票已结束" in me.chat_text("committee"), "the poll closed")
    me.until(lambda: "2/5" in me.chat_text("committee"), "the result (2 of 5 voted)")
    me.shot("deadline-passed")

    # the plan, the resolution; a day later the survey reaches 王阿姨 privately
    me.be("liu")
    me.say("committee", "/decide 1 联系电工更换灯泡")
    me.say("committee", "/resolve 1 3栋门口路灯已更换")
    me.until(lambda: "已办结" in me.chat_text("grid-1"), "the grid told of the resolution")
    me.until(lambda: me.find("#time-day").is_enabled(), "the page ready for the next day")
    me.find("#time-day").click()
    me.be("wang")
    me.until(lambda: "您满意吗" in me.chat_text("private"), "the survey in 王阿姨's private chat")
    me.shot("survey")
    me.say("private", "/满意 1")
    me.until(lambda: "满意" in me.bot_messages("private")[-1].text, "the answer recorded")
    me.shot("answered")

    # bad input gets the bot's own answer, not an error page
    me.say("grid-1", "/飞上天 1")
    assert "Traceback" not in browser.page_source

    # the server stops: the page says so
    process.send_signal(signal.SIGINT)
    process.wait(20)
    me.until(lambda: me.find("#banner").is_displayed() and "已停止" in me.find("#banner").text, "the stopped banner")
    me.shot("server-stopped")


def test_the_sample_week_and_the_wechat_view_in_the_browser(server, browser):
    process, url = server
    me = Visitor(browser, SHOTS / "sample-and-wechat")
    browser.get(url)
    me.until(lambda: me.find("#clock").text.strip(), "the clock")
    me.find("#load-sample").click()
    me.until(lambda: me.find("#clock").text.startswith("3月13日"), "the sample week loaded")
    me.until(lambda: "已转化为提案" in me.chat_text("committee"), "the big matter converted")
    me.be("ma")
    me.until(lambda: me.find_all("#chat-private a[download]"), "the Excel ledger in 马书记's private chat")
    me.shot("sample-week")
    images = me.find_all("#chat-committee img")
    assert images and browser.execute_script("return arguments[0].naturalWidth", images[-1]) > 100  # the chart shows

    me.find("#platform-wechat").click()
    if me.find("#platform-wechat").text.strip() != "微信":  # a two-step confirmation
        me.find("#platform-wechat").click()
    me.until(lambda: me.find_all("#chat-grid-1") and not me.find_all("#chat-grid-1 .msg"), "WeChat, empty")
    me.be("wang")
    me.say("grid-1", "#报事 3栋门口路灯坏了")
    me.be("li")
    me.say("grid-1", "#1 +1")
    assert not me.find_all("#chat-grid-1 .button") and not me.find_all(".poll-option")  # text only
    me.until(lambda: "附议" in me.chat_text("grid-1"), "the support counted")
    me.shot("wechat")
