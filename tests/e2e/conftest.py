"""Real-browser fixtures: Debian's Chromium driven by Playwright, against the live app.

With CI=true a missing Chromium fails these tests; elsewhere they are skipped with a line
saying how to install it. Every browser (and Playwright's driver) is closed by its fixture,
and every request a page makes must go to 127.0.0.1 (or localhost, for passkeys).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
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

    def check(self) -> None:
        """Fail on CSP violations, console errors, accessibility violations, injected scripts
        or off-host requests."""
        for tab in self.tabs:
            assert tab.problems == [], tab.problems
            violations = tab.axe.found if tab.axe else []
            assert violations == [], "\n".join(violations)
            checked = tab.axe is None or tab.axe.checked or tab.axe.skipped
            assert checked, "axe checked no state of this tab"
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


async def screenshot(tab: Tab, name: str, *, full_page: bool = False) -> None:
    """Save a screenshot (SCREENSHOTS/<name>.png; `make screenshots` puts them in the docs)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await tab.page.screenshot(
        path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page, animations="disabled"
    )


# -- tiny local HTTP servers for "Test connection" --------------------------------------------


@dataclass
class LocalServer:
    """An HTTP server on 127.0.0.1 that answers (or never does), recording who called."""

    server: asyncio.Server
    port: int
    agents: list[str]
    writers: list[asyncio.StreamWriter]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    async def close(self) -> None:
        self.server.close()
        for writer in self.writers:
            writer.close()
        await self.server.wait_closed()


async def start_local_server(*, answer: bool) -> LocalServer:
    """Start a loopback server that answers 200, or reads the request and says nothing."""
    agents: list[str] = []
    writers: list[asyncio.StreamWriter] = []
    silence = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        for line in head.decode("latin-1").split("\r\n"):
            if line.lower().startswith("user-agent:"):
                agents.append(line.split(":", 1)[1].strip())
        if not answer:
            with contextlib.suppress(asyncio.CancelledError):
                await silence.wait()
            return
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
            b"Connection: close\r\n\r\nok\n"
        )
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = int(server.sockets[0].getsockname()[1])
    return LocalServer(server, port, agents, writers)


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


def png_base64(width: int, height: int, seed: int) -> str:
    """A PNG of noise (so it does not compress away), base64-encoded."""
    import io
    import random

    from PIL import Image

    rng = random.Random(seed)
    data = bytes(rng.getrandbits(8) for _ in range(width * height * 3))
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), data).save(out, format="PNG", compress_level=1)
    return base64.b64encode(out.getvalue()).decode()


def box_art_base64(title: str, index: int) -> str:
    """A made-up game box (gradient, stripe and title), as a PNG in base64."""
    import colorsys
    import io

    from PIL import Image, ImageDraw, ImageFont

    width, height = 360, 450
    hue = (index * 0.137) % 1.0
    top = tuple(int(c * 255) for c in colorsys.hsv_to_rgb(hue, 0.65, 0.85))
    bottom = tuple(int(c * 255) for c in colorsys.hsv_to_rgb(hue, 0.8, 0.35))
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        mix = y / (height - 1)
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(int(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True)),
        )
    draw.rectangle((0, 45, width, 120), fill=(250, 250, 250))
    draw.text((20, 57), title.upper(), fill=(20, 20, 30), font=ImageFont.load_default(size=46))
    draw.ellipse((105, 210, 255, 360), outline=(255, 255, 255), width=9)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()
