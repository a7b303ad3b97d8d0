"""Account mail: render a mail from its templates, and hand it to SMTP or to the log."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any, Final, Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from gamecoll.config import PROJECT_ROOT

log = logging.getLogger("gamecoll.mail")

MAIL_TEMPLATES: Final = PROJECT_ROOT / "templates" / "mail"
# Each mail's subject; its bodies are templates/mail/<name>.txt and <name>.html.
SUBJECTS: Final = {
    "password_reset": "Reset your gamecoll password",
    "password_reset_done": "Your gamecoll password was reset",
    "password_changed": "Your gamecoll password was changed",
    "verify_email": "Confirm your email address for gamecoll",
    "email_change": "Confirm your new email address for gamecoll",
    "email_change_notice": "Your gamecoll email address is about to change",
    "email_changed": "Your gamecoll email address was changed",
    "passkey_added": "A passkey was added to your gamecoll account",
    "passkey_removed": "A passkey was removed from your gamecoll account",
    "security_notice": "A security change to your gamecoll account",
}


@dataclass(frozen=True)
class Mail:
    """One rendered mail: a plain-text and an HTML part."""

    to: str
    subject: str
    text: str
    html: str


class MailTemplates:
    """Render mails from templates/mail (HTML escaped, plain text not)."""

    def __init__(self) -> None:
        loader = FileSystemLoader(str(MAIL_TEMPLATES))
        self.text_env = Environment(loader=loader, autoescape=False, undefined=StrictUndefined)  # noqa: S701 - plain text
        self.html_env = Environment(
            loader=loader, autoescape=select_autoescape(["html"]), undefined=StrictUndefined
        )

    def render(self, name: str, *, to: str, **values: Any) -> Mail:
        """Render mail `name` for `to` with these values."""
        text = self.text_env.get_template(f"{name}.txt").render(**values)
        html = self.html_env.get_template(f"{name}.html").render(**values)
        return Mail(to=to, subject=SUBJECTS[name], text=text, html=html)


class Transport(Protocol):
    """Something that delivers a mail now or raises."""

    async def send(self, mail: Mail) -> None: ...


def build_message(mail: Mail, *, sender: str) -> EmailMessage:
    """Build the MIME message: text/plain with a text/html alternative."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


class SmtpTransport:
    """Send through the server in SMTP_URL: smtps:// is implicit TLS, smtp:// uses STARTTLS
    when the server offers it (and requires it when a user name is given)."""

    def __init__(self, url: str, *, sender: str, timeout: float) -> None:
        parts = urlsplit(url)
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.timeout = timeout

    async def send(self, mail: Mail) -> None:
        """Deliver one mail or raise (aiosmtplib's errors, OSError, timeouts)."""
        await aiosmtplib.send(
            build_message(mail, sender=self.sender),
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.implicit_tls,
            start_tls=None if self.implicit_tls or not self.username else True,
            timeout=self.timeout,
        )


class LogTransport:
    """Development without SMTP_URL: write each mail, links included, to the log."""

    async def send(self, mail: Mail) -> None:
        """Log the mail's plain-text part."""
        log.warning(
            "mail (not sent: SMTP_URL is not set) to %s: %s\n%s", mail.to, mail.subject, mail.text
        )


def build_transport(
    *, smtp_url: str, sender: str, timeout: float, production: bool
) -> Transport | None:
    """Pick the transport; None when mail cannot be sent (production without SMTP_URL)."""
    if smtp_url:
        return SmtpTransport(smtp_url, sender=sender, timeout=timeout)
    if production:
        return None
    return LogTransport()
