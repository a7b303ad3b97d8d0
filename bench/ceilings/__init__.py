"""Ceiling apps: the fastest a Sanic handler doing the same kind of work can answer."""
