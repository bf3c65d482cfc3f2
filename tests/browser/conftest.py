"""Browser journeys: Playwright for Python driving Debian's Chromium (`/usr/bin/chromium`, installed
by `make test`; nothing downloads a browser) against the live test server. Screenshots are kept
in `var/test-artefacts/screenshots/`."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "var" / "test-artefacts" / "screenshots"
# Headless, as root, on a machine with no network but loopback (see the environment notes).
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--lang=zh-CN",  # the browser's own widgets (file picker, date input) as our users see them
]  # fmt: skip

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _sync_orm_beside_playwright(monkeypatch):
    """Playwright's sync API keeps an event loop running in this thread; the test's own ORM calls
    are still plain synchronous code, which Django would otherwise refuse in "an async context".
    Only for these tests."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser(_sync_orm_beside_playwright):
    """One browser per test: Playwright's event loop then runs only while the test does, not
    while the database is set up or flushed around it."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        # While Playwright's loop runs, Django keeps the test's own database connection in that
        # loop's context: close it here, or it outlives the test and the test database.
        from django.db import connections

        connections.close_all()
        browser.close()


@pytest.fixture
def shot():
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def site_server(transactional_db):
    """The site on 127.0.0.1, one server per test, stopped — and its database connections closed
    — before the test's database is flushed (a session-wide server would still hold one when
    the test database is dropped)."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    thread = LiveServerThread("127.0.0.1", StaticFilesHandler)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error

    class Server:
        url = f"http://127.0.0.1:{thread.port}"

    yield Server
    thread.terminate()


@pytest.fixture
def phone(browser, site_server):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        base_url=site_server.url,
    )
    yield context.new_page()
    context.close()


@pytest.fixture
def desktop(browser, site_server):
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=site_server.url
    )
    yield context.new_page()
    context.close()


def log_in(page, url: str, username: str, password: str = "pw-123456") -> None:
    page.goto(url)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("[type=submit]")
    page.wait_for_load_state("networkidle")
