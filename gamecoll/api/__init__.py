"""The JSON API: one blueprint per feature."""

from __future__ import annotations

from typing import Any

from sanic import Sanic

from gamecoll.api import (
    access_tokens,
    account,
    activity,
    auth,
    duplicates,
    email_change,
    exchange,
    item_images,
    item_stats,
    items,
    mfa,
    passkeys,
    recovery,
    status,
    verification,
)


def register_api(app: Sanic[Any, Any]) -> None:
    """Mount every API blueprint on the app."""
    app.blueprint(status.bp)
    app.blueprint(auth.bp)
    app.blueprint(account.bp)
    app.blueprint(duplicates.bp)
    app.blueprint(items.bp)
    app.blueprint(item_images.bp)
    app.blueprint(item_stats.bp)
    app.blueprint(recovery.bp)
    app.blueprint(verification.bp)
    app.blueprint(email_change.bp)
    app.blueprint(activity.bp)
    app.blueprint(exchange.bp)
    app.blueprint(passkeys.bp)
    app.blueprint(mfa.bp)
    app.blueprint(access_tokens.bp)
