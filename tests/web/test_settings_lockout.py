"""The settings page's password checks share the account's lockout with login."""

from __future__ import annotations

import pytest

from tests.conftest import LiveApp
from tests.helpers import PASSWORD
from tests.web.conftest import Visitor, visitor_client

NEW_PASSWORD = "a whole new password 42"


@pytest.fixture
def app_env() -> dict[str, str]:
    return {"LOGIN_FAILURES_BEFORE_LOCKOUT": "3", "LOGIN_LOCKOUT_BASE_SECONDS": "30"}


async def test_password_guesses_on_the_settings_page_lock_the_account(
    member: Visitor, live: LiveApp
) -> None:
    for _ in range(3):
        wrong = await member.htmx(
            "/settings/password", {"current_password": "nope", "new_password": NEW_PASSWORD}
        )
        assert wrong.status_code == 422
    right = await member.htmx(
        "/settings/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert right.status_code == 429
    assert int(right.headers["retry-after"]) >= 1
    assert '<section id="password"' in right.text
    assert "try again in" in right.text
    # Deleting the account is the same check on the same account.
    delete = await member.form("/settings/delete", {"password": PASSWORD})
    assert delete.status_code == 429
    assert "try again in" in delete.text
    # The login page waits as well, and the password is still the old one.
    async with visitor_client(live) as http:
        login = await http.post("/login", data={"username": member.email, "password": PASSWORD})
    assert login.status_code == 429
    assert "try again in" in login.text
