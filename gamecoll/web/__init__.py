"""The HTMX pages: one blueprint per page group."""

from __future__ import annotations

from typing import Any

from sanic import Sanic


def register_web(app: Sanic[Any, Any]) -> None:
    """Mount the page blueprints and the HTML error renderer (pages come later)."""
