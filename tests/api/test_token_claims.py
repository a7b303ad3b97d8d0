"""Claims an attacker holding the signing key's output cannot bend: required, typed, audience."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest

from tests.conftest import TEST_SECRET
from tests.helpers import error_of, register


def _resign(token: str, **changes: Any) -> str:
    """Re-sign a real access token with some claims changed (None removes a claim)."""
    claims = jwt.decode(token, options={"verify_signature": False})
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return jwt.encode(claims, TEST_SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"nbf": None}, id="no-nbf"),
        pytest.param({"aud": None}, id="no-aud"),
        pytest.param({"aud": "another-service"}, id="other-aud"),
        pytest.param({"exp": "4000000000"}, id="string-exp"),
        pytest.param({"exp": 1e300}, id="exp-1e300"),
        pytest.param({"iat": 1.5}, id="float-iat"),
    ],
)
async def test_access_tokens_with_bent_claims_are_401(
    client: httpx.AsyncClient, changes: dict[str, Any]
) -> None:
    tokens = await register(client)
    good = _resign(tokens["access_token"])
    assert (
        await client.get("/auth/user/me", headers={"Authorization": f"Bearer {good}"})
    ).status_code == 200
    bent = _resign(tokens["access_token"], **changes)
    response = await client.get("/auth/user/me", headers={"Authorization": f"Bearer {bent}"})
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_token"


async def test_refresh_tokens_with_bent_claims_are_401(client: httpx.AsyncClient) -> None:
    tokens = await register(client)
    bent = _resign(tokens["refresh_token"], exp=1e300)
    response = await client.post("/auth/refresh", json={"refresh_token": bent})
    assert response.status_code == 401
