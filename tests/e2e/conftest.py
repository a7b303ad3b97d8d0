"""Real-browser fixtures: Debian's Chromium driven by Playwright, against the live app.

With CI=true a missing Chromium fails these tests; elsewhere they are skipped with a line
saying how to install it. Every browser (and Playwright's driver) is closed by its fixture,
and every request a page makes must go to 127.0.0.1 (or localhost, for passkeys).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.conftest import LiveApp, unavailable
from tests.e2e.axe import AXE_HOWTO, AxeWatch, axe_source
from tests.e2e.local_servers import LocalServer, start_local_server

CHROMIUM = Path(os.environ.get("GAMECOLL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(
    os.environ.get("GAMECOLL_SCREENSHOT_DIR")
    or Path(tempfile.gettempdir()) / f"gamecoll-screenshots-{os.getpid()}"
)
"""Where the browser tests save their screenshots: a temporary folder, never the tracked docs
(`make screenshots` runs them into one and copies the pictures into docs/screenshots)."""
HOWTO = (
    f"No Chromium at {CHROMIUM} for the browser tests: install it with "
    "`apt-get install -y chromium` (they are skipped without it, and fail with CI=true)."
)
TIMEOUT_MS = 15_000
STALL_SECONDS = 180
"""A browser test takes well under a minute: past this, it prints where its tasks wait."""
# The app answers some requests with these on purpose (a used or expired link, a form with
# its errors, a wrong password, a session that ended, too many attempts); Chromium logs each
# page or XHR that gets one as "Failed to load resource". Those lines are allowed for pages
# and htmx/fetch requests with these statuses only: a 500, a page that is not found, or a
# script, style or image that fails still fails the test.
MEANT_STATUSES = {400, 401, 409, 413, 415, 422, 429}
# htmx requests may also find a game gone (deleted elsewhere): the page says so in its alert area.
MEANT_XHR_STATUSES = MEANT_STATUSES | {404}


@pytest.fixture
def db_kind() -> str:
    """Browser tests run on SQLite; the walkthrough asks for PostgreSQL too by itself."""
    return "sqlite"


def chromium_or_skip() -> Path:
    """Return Chromium's path, or fail (CI) or skip (elsewhere) with a clear line."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    unavailable(HOWTO)


# The two sizes every gallery item is checked at: a laptop, and a phone with a 3x screen.
SIZES: dict[str, dict[str, Any]] = {
    "desktop": {"width": 1366, "height": 900},
    "phone": {"width": 390, "height": 844, "mobile": True, "scale": 3},
}


@dataclass
class Tab:
    """A page, with what it logged and fetched."""

    page: Page
    context: BrowserContext
    base: str
    problems: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    answers: dict[str, tuple[int, str]] = field(default_factory=dict)
    axe: AxeWatch | None = None

    async def goto(self, path: str) -> None:
        await self.page.goto(self.base + path)

    async def settled(self) -> None:
        """Check the page now (axe), for states no load or htmx swap announces."""
        if self.axe is not None:
            await self.axe.check_now()

    def path(self) -> str:
        """The current URL's path and query."""
        parts = urlsplit(self.page.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Browsers:
    """Opens tabs in fresh browser contexts (each with its own cookies)."""

    browser: Browser
    live: LiveApp
    axe_js: str
    tabs: list[Tab] = field(default_factory=list)

    async def tab(
        self,
        *,
        javascript: bool = True,
        width: int = 1280,
        height: int = 860,
        color_scheme: str = "light",
        mobile: bool = False,
        accept_dialogs: bool = True,
        scale: float = 1,
        timezone: str = "UTC",
    ) -> Tab:
        context = await self.browser.new_context(
            viewport={"width": width, "height": height},
            java_script_enabled=javascript,
            color_scheme=color_scheme,  # type: ignore[arg-type]
            is_mobile=mobile,
            has_touch=mobile,
            locale="en-GB",
            timezone_id=timezone,
            device_scale_factor=scale,
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = await context.new_page()
        tab = Tab(page, context, self.live.url)

        def on_console(message: Any) -> None:
            text = message.text
            if "Content Security Policy" in text or "Content-Security-Policy" in text:
                tab.problems.append(f"CSP: {text} at {message.location} on {tab.page.url}")
            elif message.type == "error" and not meant(tab, text, message.location):
                tab.problems.append(f"console error: {text} at {message.location}")

        async def on_dialog(dialog: Any) -> None:
            tab.dialogs.append(dialog.message)
            if dialog.message == "1":
                tab.problems.append("an injected script ran: alert(1)")
            if accept_dialogs:
                await dialog.accept()
            else:
                await dialog.dismiss()

        page.on("console", on_console)
        page.on("pageerror", lambda error: tab.problems.append(f"page error: {error}"))
        page.on("request", lambda request: tab.requests.append(request.url))
        page.on(
            "response",
            lambda answer: tab.answers.__setitem__(
                answer.url, (answer.status, answer.request.resource_type)
            ),
        )
        page.on("dialog", on_dialog)
        tab.axe = AxeWatch(
            page,
            javascript,
            self.browser,
            self.axe_js,
            {"width": width, "height": height},
            color_scheme,
        )
        await tab.axe.start()
        self.tabs.append(tab)
        return tab

    async def finish(self) -> None:
        """Check every tab as the test left it (axe), then fail on anything found."""
        for tab in self.tabs:
            if tab.axe is not None:
                await tab.axe.finish()
        self.check()
        for tab in self.tabs:
            checked = tab.axe is None or tab.axe.checked or tab.axe.skipped
            assert checked, f"axe checked no state of the tab left at {tab.page.url}"

    def check(self) -> None:
        """Fail on CSP violations, console errors, accessibility violations found so far,
        injected scripts or off-host requests."""
        for tab in self.tabs:
            assert tab.problems == [], tab.problems
            violations = tab.axe.found if tab.axe else []
            assert violations == [], "\n".join(violations)
            for url in tab.requests:
                host = urlsplit(url).hostname
                loopback = host in ("127.0.0.1", "localhost")
                assert url.startswith(("data:", "blob:")) or loopback, url


def meant(tab: Tab, text: str, location: dict[str, Any]) -> bool:
    """Tell whether a console error is Chromium's line for an answer the app meant."""
    if not text.startswith("Failed to load resource:"):
        return False
    url = str(location.get("url") or "")
    status, kind = tab.answers.get(url, (0, ""))
    if kind in ("xhr", "fetch") and status in MEANT_XHR_STATUSES:
        return True
    if kind == "document" and status in MEANT_STATUSES:
        return True
    # "Test connection" on the settings page calls a closed port on purpose.
    return "net::ERR_CONNECTION_REFUSED" in text and not url.startswith(tab.base)


@pytest.fixture(autouse=True)
def chromium() -> Path:
    """Check for Chromium before anything else starts (autouse fixtures come first)."""
    return chromium_or_skip()


@pytest.fixture(scope="session")
def axe_js() -> str:
    """axe-core's source, or fail (CI) or skip with how to install it."""
    source = axe_source()
    if source is None:
        unavailable(AXE_HOWTO)
    return source


@pytest.fixture
async def browsers(chromium: Path, live: LiveApp, axe_js: str) -> AsyncIterator[Browsers]:
    """Chromium, headless, closed (with Playwright's driver) after the test."""
    executable = chromium
    stalled = asyncio.get_running_loop().call_later(STALL_SECONDS, print_task_stacks)
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(executable), headless=True, args=CHROMIUM_ARGS
            )
            try:
                opened = Browsers(browser, live, axe_js)
                yield opened
                await opened.finish()
            finally:
                for tab in opened.tabs:
                    with contextlib.suppress(Exception):
                        await tab.context.close()
                await browser.close()
    finally:
        stalled.cancel()


def print_task_stacks() -> None:
    """Print where each task waits, for a browser test that has stalled.

    Playwright's waits for a page's script, and its closing calls, have no timeout of their
    own; pytest-timeout fails such a test later, but only with the event loop's own stack.
    """
    print(f"This browser test has run for {STALL_SECONDS} s; its tasks wait here:", file=sys.stderr)
    for task in asyncio.all_tasks():
        task.print_stack(file=sys.stderr)


async def screenshot(tab: Tab, name: str, *, full_page: bool = False) -> None:
    """Save a screenshot (SCREENSHOTS/<name>.png; `make screenshots` puts them in the docs)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await tab.page.screenshot(
        path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page, animations="disabled"
    )


@pytest.fixture
async def local_servers() -> AsyncIterator[Callable[..., Awaitable[LocalServer]]]:
    """Start local servers on demand; all are closed after the test."""
    started: list[LocalServer] = []

    async def start(*, answer: bool) -> LocalServer:
        found = await start_local_server(answer=answer)
        started.append(found)
        return found

    yield start
    for found in started:
        await found.close()
