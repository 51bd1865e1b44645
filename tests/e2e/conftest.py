"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server."""
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

# Playwright's sync API keeps an asyncio loop in the main thread; Django would take the test's
# ORM calls for calls from async code and raise SynchronousOnlyOperation.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import Browser, Page, sync_playwright

from devtools.demo import demo_seed_rest
from devtools.demo.orders import DEMO_PASSWORD, demo_seed

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
# Screenshots that CI keeps as artifacts (.ci/run prints the folder; git ignores artifacts/).
ARTIFACT_SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session; browsers cannot be downloaded, so Debian's."""
    executable = shutil.which("chromium")
    if executable is None:
        message = "chromium is not installed (apt-get install chromium): browser tests need it"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs chromium: its absence is a broken pipeline
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS,
                                             headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh context (no cookies, Chinese browser) per test."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def demo(transactional_db) -> None:
    """The demo studio (two stores, one login per role), small enough to build in a blink."""
    demo_seed(customers_per_store=8)


@pytest.fixture
def whole_demo(demo) -> None:
    """The rest of the demo studio (targets, members, callbacks, complaints): every list, chart
    and dashboard has rows."""
    demo_seed_rest(now=timezone.now())


@pytest.fixture
def login(page: Page, live_server, demo) -> Callable[..., Page]:
    """login(username, password=DEMO_PASSWORD): sign in through the login form."""

    def sign_in(username: str, password: str = DEMO_PASSWORD) -> Page:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        with page.expect_navigation():
            page.get_by_role("button", name="登录").click()
        return page

    return sign_in


@pytest.fixture
def screenshot(page: Page) -> Callable[[str], Path]:
    """screenshot(name): save the whole page to var/screenshots/<name>.png for a human look."""

    def save(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def artifact_screenshot(page: Page) -> Callable[[str], Path]:
    """artifact_screenshot(name): save the whole page to artifacts/screenshots/<name>.png, the
    folder CI keeps as an artifact of the run."""

    def save(name: str) -> Path:
        ARTIFACT_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACT_SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """The page's JavaScript errors as they happen: console.error messages (CSP refusals and
    failed loads included) and uncaught exceptions. Request it before the first page.goto."""
    errors: list[str] = []

    def on_console(message) -> None:
        # Chromium asks for /favicon.ico by itself; the site has none, and no page asked.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    return errors
