"""`python -m gamecoll serve`: serve HTTP on HOST:PORT with WORKERS processes."""

from __future__ import annotations

from gamecoll.config import Settings


def serve(settings: Settings) -> int:
    """Run the server until it is stopped."""
    from sanic import Sanic
    from sanic.worker.loader import AppLoader

    from gamecoll.app import create_app

    loader = AppLoader(factory=create_app)
    app = loader.load()
    app.prepare(
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        access_log=False,
        motd=False,
    )
    Sanic.serve(primary=app, app_loader=loader)
    return 0
