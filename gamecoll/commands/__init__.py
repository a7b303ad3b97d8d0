"""Command line: `python -m gamecoll serve|migrate|cleanup|storage|images|users ...`."""

from __future__ import annotations

import argparse
import asyncio
import sys

from gamecoll.commands import images as images_commands
from gamecoll.commands import storage as storage_commands
from gamecoll.commands import users as users_commands
from gamecoll.config import ConfigError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gamecoll")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="serve HTTP on HOST:PORT")
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser(
        "cleanup", help="delete ended sessions, spent refresh tokens and old rate-limit rows"
    )
    storage_commands.add_parser(sub)
    images_commands.add_parser(sub)
    users_commands.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit code."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"gamecoll: configuration error: {exc}", file=sys.stderr)
        return 2

    if args.command == "migrate":
        from gamecoll.commands.migrate import migrate

        return migrate(settings)
    if args.command == "serve":
        from gamecoll.commands.serve import serve

        return serve(settings)
    if args.command == "cleanup":
        from gamecoll.commands.cleanup import cleanup

        return cleanup(settings)
    if args.command == "storage":
        return asyncio.run(storage_commands.run(args, settings))
    if args.command == "images":
        return asyncio.run(images_commands.run_backfill(settings))
    if args.command == "users":
        return asyncio.run(users_commands.run_users(args, settings))
    return 2
