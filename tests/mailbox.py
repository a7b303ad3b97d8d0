"""A real SMTP server for the mail tests: aiosmtpd's controller on loopback, capturing mails.

The `smtp` fixture starts it on a free port and stops it after the test; `mail_env` points
the app at it. Tests read links out of the captured mails with `link_in`.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import free_port

WAIT_SECONDS = 15.0


@dataclass
class Captured:
    """One delivered mail."""

    to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        found = self.message.get_body(preferencelist=(subtype,))
        assert found is not None, f"no text/{subtype} part"
        return str(found.get_content())  # type: ignore[attr-defined]

    @property
    def text(self) -> str:
        return self.part("plain")

    @property
    def html(self) -> str:
        return self.part("html")


@dataclass
class _Handler:
    mails: list[Captured] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.mails.append(Captured(list(envelope.rcpt_tos), message))
        return "250 OK"


class SmtpServer:
    """aiosmtpd on 127.0.0.1:port, which can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler = _Handler()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def mails(self) -> list[Captured]:
        with self.handler.lock:
            return list(self.handler.mails)

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[Captured]:
        """Mails delivered to this address so far."""
        return [m for m in self.mails if address in m.to]

    async def wait_for(self, address: str, count: int = 1, subject: str = "") -> list[Captured]:
        """Wait until `count` mails (with `subject` in their subject) reached `address`."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            found = [m for m in self.to(address) if subject in m.subject]
            if len(found) >= count or time.monotonic() > deadline:
                assert len(found) >= count, f"{len(found)} mail(s) to {address}: {self.mails}"
                return found
            await asyncio.sleep(0.05)


def link_in(mail: Captured, path: str) -> str:
    """Return the one link to `path` in a mail, checking that both parts carry it."""
    pattern = re.compile(r"https?://[^\s\"<>]+" + re.escape(path) + r"\?token=[A-Za-z0-9_\-]+")
    text_links = set(pattern.findall(mail.text))
    html_links = set(pattern.findall(mail.html))
    assert len(text_links) == 1, mail.text
    assert text_links == html_links, (text_links, html_links)
    return text_links.pop()


def token_of(link: str) -> str:
    """Return the token in a link."""
    return link.rpartition("token=")[2]


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback, stopped after the test."""
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def app_env(smtp: SmtpServer) -> dict[str, str]:
    """Send the app's mail to the test SMTP server, retrying quickly."""
    return {"SMTP_URL": smtp.url, "MAIL_RETRY_SECONDS": "1"}
