"""axe-core on every page state a browser test visits: after each load and each htmx swap.

axe-core comes from npm, pinned in tools/axe-core (`make axe-tools`); the app never serves it.
It is run through Playwright's evaluate (DevTools protocol), which the pages' CSP does not
govern. A page with JavaScript switched off cannot run it (its timers are stopped): its DOM is
copied, as it is, into a checker page of the same size with scripts blocked and the same
styles, and checked there. Every rule runs (WCAG A/AA, 2.2 and best practices), any impact.
The vendored API documentation UIs under /docs are not gamecoll's pages and are left out.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Browser, BrowserContext, Error, Page, Route

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = Path(
    os.environ.get("AXE_CORE_JS") or ROOT / "tools/axe-core/node_modules/axe-core/axe.min.js"
)
AXE_HOWTO = (
    f"No axe-core at {AXE_JS} for the browser tests' accessibility check: run `make axe-tools` "
    "(npm ci in tools/axe-core)."
)
SETTLE_SECONDS = 0.15
CHECK_SECONDS = 30
"""How long one check may take (axe itself takes a second or two)."""
# What Playwright says when the page navigated or closed during a check. "axe is not
# defined": the page loaded a new document between putting axe in and running it.
MOVED_ON = ("destroyed", "navigat", "closed", "axe is not defined")
# Third-party UIs served as they come from npm (Swagger UI, ReDoc): not gamecoll's pages.
NOT_OURS = ("/docs",)
# A run starts after any earlier run in the page has ended: axe refuses a second run while one
# goes on, and a run whose caller gave up (a check left behind) goes on in the page.
RUN = """async () => {
  const earlier = window.__gamecollAxeRun || Promise.resolve();
  const run = earlier.catch(() => null).then(
    () => axe.run(document, {resultTypes: ["violations"]}));
  window.__gamecollAxeRun = run;
  const result = await run;
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + n.failureSummary),
  }));
}"""
# Tells the test when htmx has swapped something in (the binding is exposed by the fixture).
WATCH_SWAPS = """
document.addEventListener("htmx:afterSettle", () => {
  if (window.__gamecollSettled) window.__gamecollSettled();
}, true);
"""


def axe_source() -> str | None:
    """Return axe.min.js, or None when it is not installed."""
    return AXE_JS.read_text() if AXE_JS.is_file() else None


@dataclass
class AxeWatch:
    """Checks one tab after each load and swap, one check at a time; keeps what it found."""

    page: Page
    javascript: bool
    browser: Browser
    source: str
    viewport: dict[str, int]
    color_scheme: str
    found: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    step: str = ""
    _wanted: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None
    _checker: BrowserContext | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def start(self) -> None:
        if self.javascript:
            await self.page.expose_function("__gamecollSettled", self.want)
            await self.page.add_init_script(WATCH_SWAPS)
        self.page.on("load", lambda _page: self.want())
        self._task = asyncio.create_task(self._loop())

    def want(self) -> None:
        """Ask for a check once the page has been quiet for a moment."""
        self._wanted.set()

    async def _loop(self) -> None:
        while True:
            await self._wanted.wait()
            await asyncio.sleep(SETTLE_SECONDS)
            self._wanted.clear()
            try:
                await self.check_now()
            except Error as exc:
                self.found.append(f"axe could not check {self.page.url}: {exc}")

    async def check_now(self) -> None:
        """Check the page as it is now (a page that navigates meanwhile is checked on load).

        Playwright's calls into a page have no timeout of their own and do not give way to a
        cancellation, and a page without JavaScript sometimes never answers one: a check that
        takes longer than CHECK_SECONDS is left behind (closing the browser ends it) and
        printed, so that the test goes on.
        """
        async with self._lock:  # one axe run at a time per page
            url = self.page.url
            checking = asyncio.create_task(self._check())
            try:
                done, _ = await asyncio.wait({checking}, timeout=CHECK_SECONDS)
            except asyncio.CancelledError:
                # Keep the lock until this check has ended too (at most CHECK_SECONDS).
                checking.cancel()
                checking.add_done_callback(_forget)
                await asyncio.wait({checking}, timeout=CHECK_SECONDS)
                raise
            if not done:
                checking.add_done_callback(_forget)
                line = f"axe's check of {url} did not finish in {CHECK_SECONDS} s (at {self.step})"
                print(line, file=sys.stderr)
                return
            checking.result()

    async def _check(self) -> None:
        if self.page.is_closed():
            return
        url = self.page.url
        if urlsplit(url).path.startswith(NOT_OURS):
            self.skipped.append(url)
            return
        try:
            if self.javascript:
                violations = await self._in_page()
            else:
                violations = await self._in_checker(url)
        except Error as exc:
            if any(sign in str(exc) for sign in MOVED_ON):
                return  # the page moved on; its next load is checked
            raise
        self.checked.append(url)
        if os.environ.get("GAMECOLL_AXE_TRACE"):
            print(f"axe: {len(violations)} violations on {url}")
        for violation in violations:
            line = f"axe {violation['id']} ({violation['impact']}) on {url}: {violation['help']}"
            self.found.append(line + "".join(f"\n    {node}" for node in violation["nodes"]))

    async def _in_page(self) -> list[dict[str, Any]]:
        self.step = "looking for axe in the page"
        if not await self.page.evaluate("() => typeof window.axe === 'object'"):
            self.step = "putting axe in the page"
            await self.page.evaluate(self.source)
        self.step = "running axe in the page"
        result: list[dict[str, Any]] = await self.page.evaluate(RUN)
        return result

    async def _in_checker(self, url: str) -> list[dict[str, Any]]:
        self.step = "reading the page's HTML"
        html = await self.page.content()
        self.step = "opening the checker page"
        if self._checker is None:
            self._checker = await self.browser.new_context(
                viewport=self.viewport,  # type: ignore[arg-type]
                color_scheme=self.color_scheme,  # type: ignore[arg-type]
                locale="en-GB",
            )
        checker = await self._checker.new_page()
        try:
            document = url.split("#", 1)[0]  # a request never carries the fragment

            async def serve(route: Route) -> None:
                if route.request.url == document:
                    await route.fulfill(body=html, content_type="text/html; charset=utf-8")
                elif route.request.resource_type in ("stylesheet", "image", "font"):
                    await route.continue_()
                else:
                    await route.abort()  # no scripts: the page is checked as the tab has it

            await checker.route("**/*", serve)
            self.step = "loading the copy into the checker page"
            await checker.goto(url, wait_until="load")
            self.step = "running axe in the checker page"
            await checker.evaluate(self.source)
            result: list[dict[str, Any]] = await checker.evaluate(RUN)
            return result
        finally:
            self.step = "closing the checker page"
            await checker.close()

    async def finish(self) -> None:
        """Stop watching after a last check of the page as the test left it."""
        if self._task is not None:
            # Let a check under way end first: cancelling it would stop only the waiting here,
            # not axe in the page.
            async with self._lock:
                self._task.cancel()
                await asyncio.wait({self._task}, timeout=CHECK_SECONDS)
        try:
            await self.check_now()
        except Error as exc:
            self.found.append(f"axe could not check {self.page.url}: {exc}")
        if self._checker is not None:
            closing = asyncio.create_task(self._checker.close())
            closing.add_done_callback(_forget)
            await asyncio.wait({closing}, timeout=CHECK_SECONDS)


def _forget(task: asyncio.Task[Any]) -> None:
    """Take the outcome of a call left behind, so that its error is not logged as lost."""
    if not task.cancelled():
        task.exception()
