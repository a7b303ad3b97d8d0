"""Command line: `python -m gamecoll serve|migrate|cleanup|storage check [--fix]`."""

from __future__ import annotations

import argparse
import sys

from gamecoll.config import ConfigError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gamecoll")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="serve HTTP on HOST:PORT")
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser(
        "cleanup", help="delete ended sessions, spent refresh tokens and old rate-limit rows"
    )
    storage = sub.add_parser("storage", help="image storage maintenance")
    storage_sub = storage.add_subparsers(dest="storage_command", required=True)
    check = storage_sub.add_parser("check", help="list image files that no item refers to")
    check.add_argument("--fix", action="store_true", help="remove them")
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
        from gamecoll.commands.storage import storage_check

        return storage_check(settings, fix=args.fix)
    return 2
