"""The API docs (Swagger UI and ReDoc, vendored) work in Chromium under their CSP."""

from __future__ import annotations

from tests.conftest import LiveApp
from tests.e2e.conftest import Browsers


async def test_swagger_ui_and_redoc_render_under_the_docs_csp(
    browsers: Browsers, live: LiveApp
) -> None:
    tab = await browsers.tab()
    await tab.goto("/docs")
    await tab.page.locator(".swagger-ui .info .title").filter(has_text="gamecoll API").wait_for()
    await tab.page.locator(".opblock-tag", has_text="auth").first.wait_for()

    redoc = await browsers.tab()
    await redoc.goto("/docs/redoc")
    await redoc.page.locator("h1", has_text="gamecoll API").wait_for()
    search = redoc.page.locator('input[placeholder="Search..."]')
    await search.fill("login")  # the search runs in a worker started from a blob: URL
    await redoc.page.locator(
        '[role="search"] li, .search-results li, label', has_text="Log in"
    ).first.wait_for()
    # ReDoc 2.5 always asks its vendor's CDN for a logo ("API docs by Redocly"); the docs CSP
    # blocks it (the image then hides itself). Nothing else may be blocked or leave the host.
    cdn_logo = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    blocked = [problem for problem in redoc.problems if cdn_logo in problem]
    assert len(blocked) == 1 and "img-src" in blocked[0], redoc.problems
    redoc.problems.remove(blocked[0])
    redoc.requests[:] = [url for url in redoc.requests if url != cdn_logo]
    # The browsers fixture then fails on any other CSP report, script error or off-host request.
