"""End-to-end fixtures: a live server over a fresh demo database, Debian's Chromium, logins.

Run with ``make e2e`` (never collected by the main ``pytest`` run: see pytest.ini).

* ``live_server`` (session): a temp folder with a new SQLite database, built by the project's
  own CLI commands (``deploy``, ``calendar import``, ``seed-demo``, invoked in one process), then
  ``flask run`` on 127.0.0.1 at a free port; waits for /login/ and stops the server after the
  session. The logs are kept as ``test-artifacts/e2e/setup.log`` and ``server.log``.
* ``browser`` (session): Playwright driving /usr/bin/chromium, headless. Playwright never
  downloads a browser here; without Chromium the tests stop with the command that installs it.
* ``login(username)``: a new browser context (1366×900, zh-CN), logs in through the real form
  (#username/#password) and returns the page. On failure every open page is saved as a PNG in
  ``test-artifacts/e2e/`` (the CI artefact folder). A page error, or a console message about the
  Content Security Policy, fails the test.
"""
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .helpers import ARTIFACTS, DEMO_PASSWORD, ROOT
from tests.servers import new_identity_keys

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=zh-CN",
]
VIEWPORT = {"width": 1366, "height": 900}
TIMEOUT_MS = 20_000


# --- failure screenshots ------------------------------------------------------------------------

@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so fixtures can tell whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
    # Steps of an ordered story (class marked ``incremental``): remember the first failure.
    if report.when == "call" and report.failed and "incremental" in item.keywords and item.cls is not None:
        item.cls._first_failure = item.name


def pytest_runtest_setup(item):
    if "incremental" in item.keywords and item.cls is not None:
        failed = getattr(item.cls, "_first_failure", None)
        if failed:
            pytest.skip(f"skipped: the earlier step {failed} failed, and this step needs its result")


def pytest_configure(config):
    config.addinivalue_line("markers", "incremental: ordered steps of one story; a failed step skips the rest")
    # The artefact folder holds this run's failures only.
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:120]


# --- the live server ------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The real CLI commands, run in one process to pay the application's start-up once:
# `flask --app run deploy`, `flask --app run calendar import`, `flask --app run seed-demo`.
SETUP_SCRIPT = """
import sys
from run import app
runner = app.test_cli_runner()
for args in (["deploy"], ["calendar", "import"], ["seed-demo"]):
    result = runner.invoke(args=args)
    print("$ flask --app run " + " ".join(args))
    print(result.output)
    if result.exit_code != 0:
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            import traceback
            traceback.print_exception(result.exception)
        sys.exit(f"flask {' '.join(args)} failed with exit code {result.exit_code}")
"""


def _setup_database(env, log_path):
    result = subprocess.run([sys.executable, "-c", SETUP_SCRIPT], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    log_path.write_text(result.stdout + result.stderr, encoding="utf-8")
    if result.returncode != 0:
        raise RuntimeError(f"building the e2e database failed:\n{(result.stdout + result.stderr)[-6000:]}")


def _wait_for(url: str, process, log_path: Path, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.2)  # polling the server's start-up, not a wait in a page
    raise RuntimeError(f"the server did not answer {url} within {timeout:.0f} s; log:\n{log_path.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The real application on 127.0.0.1 over a fresh demo database; yields its base URL."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    folder = tmp_path_factory.mktemp("e2e")
    env = {key: value for key, value in os.environ.items()
           if key not in ("PRODUCTION", "FLASK_ENV", "TRUSTED_HOSTS", "FLASK_APP", "FLASK_DEBUG")}
    env.update(
        DATABASE_URL=f"sqlite:///{folder / 'e2e.db'}",
        UPLOAD_DIR=str(folder / "attachments"),
        SECRET_KEY=secrets.token_hex(32),
        IDENTITY_KEYS=new_identity_keys(),  # issue 24: a keyring of the run's own
        HTTPS="0",
        # Every scenario logs in anew from the same address: keep the limit, raise it.
        AUTH_RATE_LIMIT="200 per 1 minute",
        PYTHONUNBUFFERED="1",
    )
    started = time.monotonic()
    _setup_database(env, ARTIFACTS / "setup.log")
    log_path = ARTIFACTS / "server.log"
    for _attempt in range(3):
        port = _free_port()
        log = open(log_path, "w", encoding="utf-8")
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "run", "run", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        if _wait_for(f"http://127.0.0.1:{port}/login/", process, log_path):
            break
        log.close()  # the port was taken between choosing and binding it: try another
    else:
        raise RuntimeError(f"the server did not start; log:\n{log_path.read_text()[-4000:]}")
    print(f"\n[e2e] server on http://127.0.0.1:{port} ready in {time.monotonic() - started:.1f} s")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


# --- the browser ----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.fail(f"{CHROMIUM} is missing: run `make e2e` (as root it runs "
                    "`apt-get install -y chromium fonts-noto-cjk`) or set E2E_CHROMIUM", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Session:
    """One logged-in browser context; collects page errors and CSP violations."""

    def __init__(self, browser, base_url):
        self.base_url = base_url
        self.context = browser.new_context(
            viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True,
            base_url=base_url,
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        self.problems = []

    def new_page(self):
        page = self.context.new_page()
        page.on("pageerror", lambda error: self.problems.append(f"page error on {page.url}: {error}"))
        page.on("console", lambda message: self._console(page, message))
        return page

    def _console(self, page, message):
        if message.type == "error" and "Content Security Policy" in message.text:
            self.problems.append(f"CSP violation on {page.url}: {message.text}")


def do_login(page, username, password=DEMO_PASSWORD):
    """Fill the real login form and submit it; returns the page on the landing page."""
    page.goto("/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("form input[type=submit], form button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    return page


@pytest.fixture
def login(browser, live_server, request):
    """``login("demo_counter")`` → a page of a fresh context, logged in, on the landing page."""
    sessions = []

    def _login(username, password=DEMO_PASSWORD):
        session = Session(browser, live_server)
        sessions.append(session)
        page = do_login(session.new_page(), username, password)
        assert "/login" not in page.url, f"login as {username} failed: still on {page.url}"
        page.session = session
        return page

    yield _login

    report = getattr(request.node, "rep_call", None) or getattr(request.node, "rep_setup", None)
    failed = report is not None and report.failed
    problems = []
    for n, session in enumerate(sessions):
        problems += session.problems
        if failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            for m, page in enumerate(session.context.pages):
                try:
                    page.screenshot(path=str(ARTIFACTS / f"{_safe(request.node.name)}-{n}-{m}.png"))
                except Exception as error:  # a crashed page must not hide the test's own failure
                    print(f"[e2e] no screenshot of {page.url}: {error}")
        session.context.close()
    if problems and not failed:
        pytest.fail("\n".join(problems), pytrace=False)
