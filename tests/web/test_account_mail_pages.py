"""The pages for changing the email and confirming it, without a browser (forms and htmx)."""

from __future__ import annotations

import re

from tests.helpers import PASSWORD, unique_email
from tests.mailbox import SmtpServer, app_env, link_in, smtp, token_of
from tests.web.conftest import Visitor, member

__all__ = ["app_env", "member", "smtp"]


async def test_change_the_email_from_settings(member: Visitor, smtp: SmtpServer) -> None:
    new = unique_email()
    wrong = await member.htmx(
        "/settings/email", {"new_email": new, "current_password": "not my password"}
    )
    assert wrong.status_code == 422
    assert "The current password is not right." in wrong.text and 'id="email"' in wrong.text
    asked = await member.form("/settings/email", {"new_email": new, "current_password": PASSWORD})
    assert asked.status_code == 303 and asked.headers["location"] == "/settings?saved=email#email"
    page = await member.get(asked.headers["location"])
    assert "A link is on its way to the new address" in page.text
    [mail] = await smtp.wait_for(new, subject="Confirm your new email")
    link = link_in(mail, "/email/confirm")
    shown = await member.get(link)
    assert shown.status_code == 200 and "Use this email address" in shown.text
    assert new not in (await member.get("/settings")).text  # a GET changes nothing
    done = await member.post("/email/confirm", data={"token": token_of(link)})
    assert done.status_code == 200 and "now uses this email address" in done.text
    settings = await member.get("/settings")
    assert new in settings.text
    assert re.search(r'id="email-status"[^>]*>verified<', settings.text)
    again = await member.post("/email/confirm", data={"token": token_of(link)})
    assert again.status_code == 400 and "already used" in again.text
