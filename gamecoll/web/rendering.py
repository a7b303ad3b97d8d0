"""Jinja2 rendering for the pages: one environment, autoescaped, with hashed static URLs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Final

import jinja2
from sanic import HTTPResponse, html

from gamecoll.config import PROJECT_ROOT

TEMPLATE_DIR: Final = PROJECT_ROOT / "templates"
STATIC_DIR: Final = PROJECT_ROOT / "static"

# Headers of every page and fragment: private data, and one URL answers page or fragment.
PAGE_HEADERS: Final = {"cache-control": "no-store", "vary": "HX-Request"}

# htmx settings, read by htmx from <meta name="htmx-config"> before it processes the page.
HTMX_CONFIG: Final[dict[str, Any]] = {
    # The CSP forbids inline styles and eval: the indicator CSS is in app.css.
    "includeIndicatorStyles": False,
    "allowEval": False,
    "allowScriptTags": False,
    # Pages hold private data: never keep snapshots in sessionStorage; history restore asks the
    # server again, without HX-Request, so it gets the full page.
    "historyCacheSize": 0,
    # htmx copies these from an element to its same-id successor while settling; copying a
    # `style` attribute is an inline style the CSP refuses (the pages never set one, but an
    # extension or a test tool may), so only class and size are settled.
    "attributesToSettle": ["class", "width", "height"],
    "historyRestoreAsHxRequest": False,
    "selfRequestsOnly": True,
    "reportValidityOfForms": True,
    # htmx 2 drops 4xx/5xx answers by default: swap them (forms with their errors, or the
    # error fragment the server retargets to #flash). They are answers the page shows, not
    # failures: `error: False` keeps htmx from logging each one as a console error.
    "responseHandling": [
        {"code": "204", "swap": False},
        {"code": "[23]..", "swap": True},
        {"code": "[45]..", "swap": True, "error": False},
    ],
}


class StaticFiles:
    """Content hashes of the static files, so their URLs change when they do."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._hashes: dict[str, tuple[float, str]] = {}

    def resolve(self, name: str) -> Path | None:
        """Return the file under the static root named by a relative path, or None."""
        if not name or "\\" in name or "\x00" in name:
            return None
        root = self.root.resolve()
        try:
            path = (root / name).resolve()
            found = path.is_relative_to(root) and path.is_file()
        except (OSError, ValueError):  # a name too long for the file system, for one
            return None
        return path if found else None

    def version(self, name: str) -> str:
        """Return a short hash of a static file's bytes ('' when the file is missing)."""
        path = self.resolve(name)
        if path is None:
            return ""
        mtime = path.stat().st_mtime
        cached = self._hashes.get(name)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        self._hashes[name] = (mtime, digest)
        return digest

    def url(self, name: str) -> str:
        """Return the URL of a static file with its content hash."""
        version = self.version(name)
        return f"/static/{name}?v={version}" if version else f"/static/{name}"


class Renderer:
    """Render templates to strings and responses."""

    def __init__(self, template_dir: Path = TEMPLATE_DIR, static_dir: Path = STATIC_DIR) -> None:
        self.static = StaticFiles(static_dir)
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(template_dir),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals["static_url"] = self.static.url
        self.env.globals["htmx_config"] = json.dumps(HTMX_CONFIG, separators=(",", ":"))

    def render(self, name: str, context: dict[str, Any]) -> str:
        """Render one template."""
        return self.env.get_template(name).render(context)

    def response(
        self,
        name: str,
        context: dict[str, Any],
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> HTTPResponse:
        """Render a template into an HTML response with the page headers."""
        return html(
            self.render(name, context), status=status, headers={**PAGE_HEADERS, **(headers or {})}
        )
