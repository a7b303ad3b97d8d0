"""`python -m gamecoll users list|show|create|reset-link|verify|disable|enable|delete`.

Each command calls the same services as the API, prints what it did in one line (or a small
table), never a password hash or a token hash, and exits non-zero with one clear line on bad
input.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from tortoise import Tortoise
from tortoise.exceptions import BaseORMException

from gamecoll.config import Settings
from gamecoll.db import close_database_connections, tortoise_config
from gamecoll.errors import AppError
from gamecoll.models import User
from gamecoll.services.admin import AccountAdmin
from gamecoll.services.container import Services, build_services


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `users` and its subcommands to the command line."""
    users = sub.add_parser("users", help="look after accounts (operators)")
    cmd = users.add_subparsers(dest="users_command", required=True)
    cmd.add_parser("list", help="list every account")
    for name, text in (
        ("show", "show one account"),
        ("reset-link", "print a one-time password-reset link (for installations without mail)"),
        ("verify", "mark the account's email address verified"),
        ("disable", "end every session and refuse logins (403 account_disabled)"),
        ("enable", "allow logins again"),
    ):
        cmd.add_parser(name, help=text).add_argument("account", help="email, username or id")
    create = cmd.add_parser("create", help="create an account (verified)")
    create.add_argument("email")
    create.add_argument("--username")
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input; without it, print a reset link instead",
    )
    delete = cmd.add_parser("delete", help="delete the account, its items and images")
    delete.add_argument("account", help="email, username or id")
    delete.add_argument("--yes", action="store_true", help="confirm the deletion")


def _base_url(settings: Settings) -> str:
    if settings.public_base_url:
        return settings.public_base_url
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host  # noqa: S104
    return f"http://{host}:{settings.port}"


def _state(user: User) -> str:
    flags = ["verified" if user.email_verified else "unverified"]
    if user.disabled_at is not None:
        flags.append("disabled")
    return ",".join(flags)


async def _run(
    args: argparse.Namespace, services: Services, settings: Settings, out: TextIO
) -> int:
    admin = AccountAdmin(
        hasher=services.hasher,
        checks=services.auth.checks,
        sessions=services.sessions,
        users=services.users,
        access_tokens=services.access_tokens,
    )
    admin.listeners.append(services.activity.listen)
    command: str = args.users_command
    if command == "list":
        users = await admin.list()
        for user in users:
            print(
                f"{user.id}  {user.email}  {user.username or '-'}  {_state(user)}  "
                f"created {user.created_at:%Y-%m-%d %H:%M}",
                file=out,
            )
        print(f"{len(users)} account(s)", file=out)
        return 0
    if command == "create":
        password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
        user = await admin.create(email=args.email, username=args.username, password=password)
        print(f"created {user.email} ({user.id})", file=out)
        if password is None:
            link = await services.recovery.reset_link(user=user, base_url=_base_url(settings))
            print(f"set its password with this one-time link: {link}", file=out)
        return 0
    if command == "delete" and not args.yes:
        print("gamecoll: users delete removes the account for good; add --yes", file=sys.stderr)
        return 2
    user = await admin.find(args.account)
    if command == "show":
        facts = await admin.facts(user)
        rows = (
            ("id", str(user.id)),
            ("email", user.email),
            ("username", user.username or "-"),
            ("email verified", "yes" if user.email_verified else "no"),
            (
                "disabled",
                f"since {user.disabled_at:%Y-%m-%d %H:%M} UTC" if user.disabled_at else "no",
            ),
            ("created", f"{user.created_at:%Y-%m-%d %H:%M} UTC"),
            ("live sessions", str(facts.live_sessions)),
            ("items", str(facts.items)),
        )
        for key, value in rows:
            print(f"{key + ':':16}{value}", file=out)
        return 0
    if command == "reset-link":
        link = await services.recovery.reset_link(user=user, base_url=_base_url(settings))
        minutes = settings.password_reset_token_minutes
        print(f"one-time link for {user.email} (valid {minutes} minutes): {link}", file=out)
        return 0
    if command == "verify":
        await admin.verify(user)
        print(f"{user.email}: email address marked verified", file=out)
        return 0
    if command == "disable":
        ended = await admin.disable(user)
        print(f"{user.email}: disabled; {ended} session(s) ended", file=out)
        return 0
    if command == "enable":
        await admin.enable(user)
        print(f"{user.email}: enabled", file=out)
        return 0
    if command == "delete":
        await admin.delete(user)
        print(f"{user.email}: deleted with its items and images", file=out)
        return 0
    return 2


async def run_users(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    """Run one `users` command against the configured database."""
    services = build_services(settings)
    try:
        await Tortoise.init(config=tortoise_config(settings))
        try:
            return await _run(args, services, settings, out or sys.stdout)
        finally:
            await close_database_connections()
    except AppError as exc:
        fields = "; ".join(f"{name}: {text}" for name, text in exc.fields.items())
        detail = fields or exc.detail
        print(f"gamecoll: {detail}", file=sys.stderr)
        return 1
    except (BaseORMException, OSError) as exc:
        print(f"gamecoll: users {args.users_command} failed: {exc}", file=sys.stderr)
        return 2
    finally:
        services.hasher.close()
