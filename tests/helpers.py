"""Small helpers that tests share: registering users and reading error bodies."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def unique_email() -> str:
    """Return an email address no other test uses."""
    return f"player{next(_counter)}@example.com"


async def register(
    client: httpx.AsyncClient, *, email: str | None = None, password: str = PASSWORD, **extra: Any
) -> dict[str, Any]:
    """Register a user and return the token response body."""
    body = {"email": email or unique_email(), "password": password, **extra}
    response = await client.post("/auth/register", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    """Return the Authorization header for a token response."""
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def error_of(response: httpx.Response) -> dict[str, Any]:
    """Return the `error` object of an error response, checking its shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    return error


def totp_code(secret: str, steps: int = 0, at: float | None = None) -> str:
    """Compute the authenticator app's code for a moment (now by default), `steps` of 30 s
    later or earlier: what a phone whose clock is that far off would show."""
    import time

    import pyotp

    moment = time.time() if at is None else at
    return pyotp.TOTP(secret).at(int(moment) + 30 * steps)
