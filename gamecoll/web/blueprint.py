"""The one blueprint of the pages; its name `web` is how errors know to answer in HTML."""

from __future__ import annotations

from sanic import Blueprint

bp = Blueprint("web")
