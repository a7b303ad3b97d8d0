"""ASGI/Sanic entry point: `sanic server:app`."""

from gamecoll.app import create_app

app = create_app()
