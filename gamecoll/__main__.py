"""Command line: `python -m gamecoll serve|migrate|storage check [--fix]|users ...`."""

from __future__ import annotations

import argparse
import asyncio
import sys

from gamecoll.config import ConfigError, load_settings


def main(argv: list[str] | None = None) -> int:
    """Run one command."""
    parser = argparse.ArgumentParser(prog="python -m gamecoll")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="serve HTTP on HOST:PORT")
    sub.add_parser("migrate", help="apply database migrations")
    storage = sub.add_parser("storage", help="image storage maintenance")
    storage_sub = storage.add_subparsers(dest="storage_command", required=True)
    check = storage_sub.add_parser("check", help="list image files that no item refers to")
    check.add_argument("--fix", action="store_true", help="remove them")
    from gamecoll.commands.users import add_parser as add_users_parser

    add_users_parser(sub)
    args = parser.parse_args(argv)

    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"gamecoll: configuration error: {exc}", file=sys.stderr)
        return 2

    if args.command == "migrate":
        from gamecoll.db import apply_migrations
        from gamecoll.logs import configure_logging

        configure_logging(settings)
        applied = asyncio.run(apply_migrations(settings))
        print(
            f"applied {len(applied)} migration(s)" + (f": {', '.join(applied)}" if applied else "")
        )
        return 0
    if args.command == "serve":
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
    if args.command == "storage":
        from gamecoll.services.storage_check import run_storage_check

        return asyncio.run(run_storage_check(settings, fix=args.fix))
    if args.command == "users":
        from gamecoll.commands.users import run_users

        return asyncio.run(run_users(args, settings))
    return 2


if __name__ == "__main__":
    sys.exit(main())
