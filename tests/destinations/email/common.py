"""What the email tests share: configs matching the fake server, contexts, recipients."""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from junction.destinations.email import EmailConfig
from junction.plugins import ConnectorContext, Content, Recipient

from ...fakes.smtp import FakeSmtp

USERNAME = "junction-sender"
PASSWORD = "smtp-pass-0123456789"
UNSUBSCRIBE_SECRET = "unsub-secret-0123456789abcdef-0123456789"
FROM = "news@shop.example"
PUBLIC_URL = "https://hub.shop.example"
LIST_ID = "news.shop.example"


def raw_config(fake: FakeSmtp, **overrides: Any) -> dict[str, Any]:
    """A config for ``fake``: its port and security, its certificate as ca_file."""
    raw: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": fake.port,
        "security": fake.security,
        "from_address": FROM,
        "from_name": "Shop 商店",
        "unsubscribe_secret": UNSUBSCRIBE_SECRET,
        "public_url": PUBLIC_URL,
        "list_id": LIST_ID,
        "timeout_seconds": 1.0,
        "messages_per_second": 1000,
    }
    if fake.username is not None:
        raw |= {"username": fake.username, "password": fake.password}
    if fake.certificate is not None:
        raw["ca_file"] = str(fake.certificate.cert_file)
    return raw | overrides


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def context(
    fake: FakeSmtp, *, log: Captured | None = None, **overrides: Any
) -> ConnectorContext[EmailConfig]:
    logger = logging.Logger("junction.connector.mail-test", logging.DEBUG)
    if log is not None:
        logger.addHandler(log)
    config = msgspec.convert(raw_config(fake, **overrides), EmailConfig)
    return ConnectorContext(connection="newsletter", config=config, log=logger)


def recipient(key: str, email: str, **content: str) -> Recipient:
    parts = content or {"subject": "Hello", "text": "Hi there", "html": "<p>Hi there</p>"}
    return Recipient(key=key, address={"email": email}, content=Content(**parts))
