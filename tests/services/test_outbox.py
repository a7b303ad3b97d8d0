"""The outbox against a real SMTP server: off the request path, retried, once per mail."""

from __future__ import annotations

import asyncio

import pytest

from gamecoll.models import OutboxMail
from tests.conftest import Database, LiveApp, start_app, stop_app
from tests.mailbox import SmtpServer, app_env, smtp

__all__ = ["app_env", "smtp"]


async def sent_row(address: str) -> OutboxMail:
    """The outbox row of a mail the SMTP server has received, once its sender has marked it.

    The server has the mail before the sender writes `sent_at`: wait (boundedly) for that write.
    """
    for _ in range(100):
        row = await OutboxMail.get(to_address=address)
        if row.sent_at is not None:
            break
        await asyncio.sleep(0.05)
    return row


async def test_a_mail_has_text_and_html_and_is_sent_once(live: LiveApp, smtp: SmtpServer) -> None:
    outbox = live.app.ctx.services.outbox
    await outbox.enqueue(
        "verify_email", to="ada@example.com", link="http://x/verify?token=abc", hours=48
    )
    [mail] = await smtp.wait_for("ada@example.com")
    assert mail.subject == "Confirm your email address for gamecoll"
    assert "http://x/verify?token=abc" in mail.text
    assert 'href="http://x/verify?token=abc"' in mail.html
    row = await sent_row("ada@example.com")
    assert row.sent_at is not None and row.attempts == 1
    assert row.text_body == "" and row.html_body == ""  # the link is gone from the database
    await asyncio.sleep(0.3)
    assert len(smtp.to("ada@example.com")) == 1


async def test_a_mail_waits_while_smtp_is_down(live: LiveApp, smtp: SmtpServer) -> None:
    smtp.stop()
    outbox = live.app.ctx.services.outbox
    await outbox.enqueue(
        "verify_email", to="bo@example.com", link="http://x/verify?token=b", hours=48
    )
    for _ in range(100):
        row = await OutboxMail.get(to_address="bo@example.com")
        if row.last_error:  # tried and failed (attempts counts from the lease, before the try)
            break
        await asyncio.sleep(0.05)
    assert row.sent_at is None and row.last_error
    smtp.start()
    await smtp.wait_for("bo@example.com")
    row = await sent_row("bo@example.com")
    assert row.sent_at is not None and row.attempts >= 2


@pytest.mark.parametrize("db_kind", ["postgres"])  # SQLite runs one instance only
async def test_two_instances_send_each_mail_once(
    database: Database, smtp: SmtpServer, app_env: dict[str, str]
) -> None:
    first, first_server = await start_app(database.settings(**app_env))
    second, second_server = await start_app(database.settings(**app_env))
    try:
        addresses = [f"p{n}@example.com" for n in range(30)]
        for n, address in enumerate(addresses):
            outbox = (first if n % 2 else second).app.ctx.services.outbox
            await outbox.enqueue("verify_email", to=address, link=f"http://x/v?token={n}", hours=1)
        for address in addresses:
            await smtp.wait_for(address)
        await asyncio.sleep(0.5)
        assert sorted(a for m in smtp.mails for a in m.to) == sorted(addresses)
    finally:
        await stop_app(second_server)
        await stop_app(first_server)
