"""`python -m gamecoll users ...` run as a real process against the live app's database."""

from __future__ import annotations

import asyncio
import base64
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from gamecoll.config import PROJECT_ROOT
from gamecoll.models import AccountToken, User
from tests.conftest import LiveApp, base_env
from tests.helpers import PASSWORD, bearer, error_of, register, unique_email
from tests.mailbox import token_of
from tests.web.conftest import png

NEW_PASSWORD = "a brand new passphrase 42"


@dataclass
class Run:
    code: int
    out: str
    err: str


async def users(live: LiveApp, *args: str, stdin: str = "") -> Run:
    """Run one users command in its own process, with the live app's settings."""
    settings = live.settings
    env = {
        "PATH": os.environ.get("PATH", ""),
        **base_env(DATABASE_URL=settings.database_url, IMAGE_DIR=str(settings.image_dir)),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gamecoll",
        "users",
        *args,
        cwd=PROJECT_ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), 60)
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


async def _secrets() -> list[str]:
    """Every password hash and token hash in the database: no output may contain one."""
    hashes = [u.password_hash for u in await User.all()]
    return hashes + [t.token_hash for t in await AccountToken.all()]


async def test_operator_commands(live: LiveApp, client: httpx.AsyncClient) -> None:
    email = unique_email()
    tokens = await register(client, email=email, username="ada")
    photo = {"name": "Tetris", "image": base64.b64encode(png()).decode()}
    made = await client.post("/collection/items", json=photo, headers=bearer(tokens))
    assert made.status_code == 201, made.text
    image_dir = Path(live.settings.image_dir)
    assert any(p.is_file() for p in image_dir.rglob("*"))
    outputs: list[str] = []

    listed = await users(live, "list")
    assert listed.code == 0 and email in listed.out and "1 account(s)" in listed.out
    shown = await users(live, "show", email.upper())
    assert shown.code == 0 and "items:          1" in shown.out and "ada" in shown.out
    outputs += [listed.out, shown.out]

    # A reset link for an installation without mail, used through the API.
    link = await users(live, "reset-link", "ada")
    assert link.code == 0 and "/reset?token=" in link.out
    outputs.append(link.out)
    token = token_of(link.out.strip())
    done = await client.post(
        "/auth/password/reset", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert done.status_code == 204

    # Disable: sessions end at once, login answers 403 account_disabled; enable undoes it.
    login = await client.post("/auth/login", json={"email": email, "password": NEW_PASSWORD})
    fresh = login.json()
    made = await client.post(
        "/auth/tokens", json={"name": "nas", "scopes": ["profile:read"]}, headers=bearer(fresh)
    )
    script = {"Authorization": f"Bearer {made.json()['token']}"}
    assert (await client.get("/auth/user/me", headers=script)).status_code == 200
    disabled = await users(live, "disable", email)
    assert disabled.code == 0 and "1 session(s) ended" in disabled.out
    assert (await client.get("/auth/user/me", headers=bearer(fresh))).status_code == 401
    assert (await client.get("/auth/user/me", headers=script)).status_code == 401  # revoked
    refused = await client.post("/auth/login", json={"email": email, "password": NEW_PASSWORD})
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "account_disabled"
    assert "disabled" in error_of(refused)["message"]
    wrong = await client.post("/auth/login", json={"email": email, "password": "not it at all"})
    assert wrong.status_code == 401  # only the password's owner learns it is disabled
    assert (await users(live, "enable", email)).code == 0
    again = await client.post("/auth/login", json={"email": email, "password": NEW_PASSWORD})
    assert again.status_code == 200

    verified = await users(live, "verify", email)
    assert verified.code == 0
    me = await client.get("/auth/user/me", headers=bearer(again.json()))
    assert me.json()["email_verified"] is True

    refused_delete = await users(live, "delete", email)
    assert refused_delete.code == 2 and "--yes" in refused_delete.err
    assert len(refused_delete.err.strip().splitlines()) == 1
    outputs += [o.out + o.err for o in (disabled, verified, refused_delete)]
    for secret in await _secrets():
        assert all(secret not in text for text in outputs)
    deleted = await users(live, "delete", email, "--yes")
    assert deleted.code == 0, deleted.err
    assert await User.filter(email=email).count() == 0
    assert not any(p.is_file() for p in image_dir.rglob("*"))


async def test_create_and_bad_input(live: LiveApp, client: httpx.AsyncClient) -> None:
    made = await users(live, "create", "new@example.com", "--username", "newbie")
    assert made.code == 0 and "/reset?token=" in made.out
    token = token_of(made.out.strip().splitlines()[-1])
    done = await client.post(
        "/auth/password/reset", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert done.status_code == 204
    login = await client.post("/auth/login", json={"username": "newbie", "password": NEW_PASSWORD})
    assert login.status_code == 200 and login.json()["user"]["email_verified"] is True

    piped = await users(live, "create", "piped@example.com", "--password-stdin", stdin=PASSWORD)
    assert piped.code == 0 and "token" not in piped.out
    login = await client.post(
        "/auth/login", json={"email": "piped@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200

    for args, words in (
        (("show", "nobody@example.com"), "No account matches"),
        (("disable", "nobody"), "No account matches"),
        (("create", "not-an-email"), "valid email"),
        (("create", "new@example.com"), "already exists"),
        (("create", "weak@example.com", "--password-stdin"), "password"),
    ):
        run = await users(live, *args, stdin="123\n")
        assert run.code != 0, (args, run)
        lines = run.err.strip().splitlines()
        assert len(lines) == 1 and words in lines[0], (args, run.err)
