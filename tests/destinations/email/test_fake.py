"""The fake SMTP server holds clients to the contract (driven here with bare smtplib)."""

from __future__ import annotations

import smtplib
import ssl

import pytest

from ...fakes.smtp import FakeSmtp
from .common import PASSWORD, USERNAME
from .conftest import StartSmtp

GOOD_HEADERS = (
    "From: news@shop.example\r\n"
    "To: ada@example.org\r\n"
    "Date: Wed, 11 Nov 2026 12:00:00 +0000\r\n"
    "Message-ID: <k1@shop.example>\r\n"
    "List-Unsubscribe: <https://hub.shop.example/hooks/email/unsubscribe?t=x.y>\r\n"
    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
)


def client(smtp: FakeSmtp) -> smtplib.SMTP:
    assert smtp.certificate is not None
    session = smtplib.SMTP("127.0.0.1", smtp.port, timeout=5)
    session.starttls(context=ssl.create_default_context(cafile=smtp.certificate.cert_file))
    session.ehlo()
    session.login(USERNAME, PASSWORD)
    return session


def submit(smtp: FakeSmtp, data: bytes) -> tuple[int, bytes]:
    session = client(smtp)
    try:
        assert session.mail("news@shop.example")[0] == 250
        assert session.rcpt("ada@example.org")[0] == 250
        assert session.docmd("DATA")[0] == 354
        session.send(data + b".\r\n")
        return session.getreply()
    finally:
        session.quit()


def test_a_good_message_is_queued(smtp: FakeSmtp) -> None:
    code, _ = submit(smtp, (GOOD_HEADERS + "\r\nHello\r\n").encode())
    assert code == 250 and smtp.delivered_to() == ["ada@example.org"]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ((GOOD_HEADERS + "\r\nbare\nLF\r\n").encode(), b"bare CR or LF"),
        ((GOOD_HEADERS + "\r\n" + "x" * 999 + "\r\n").encode(), b"longer than 998"),
        (
            GOOD_HEADERS.replace("Date: Wed, 11 Nov 2026 12:00:00 +0000\r\n", "").encode()
            + b"\r\nx\r\n",
            b"Date appears 0 times",
        ),
        ((GOOD_HEADERS + "Subject: 你好\r\n\r\nx\r\n").encode(), b"non-ASCII header"),
        (GOOD_HEADERS.replace("https://", "http://").encode() + b"\r\nx\r\n", b"no <https:"),
        (GOOD_HEADERS.replace("=One-Click", "=Yes").encode() + b"\r\nx\r\n", b"exactly"),
    ],
)
def test_contract_breaches_are_refused(smtp: FakeSmtp, data: bytes, problem: bytes) -> None:
    code, text = submit(smtp, data)
    assert code == 554 and problem in text
    assert smtp.received == []


def test_mail_before_auth_is_refused(smtp: FakeSmtp) -> None:
    assert smtp.certificate is not None
    session = smtplib.SMTP("127.0.0.1", smtp.port, timeout=5)
    session.starttls(context=ssl.create_default_context(cafile=smtp.certificate.cert_file))
    session.ehlo()
    assert session.mail("news@shop.example")[0] == 530
    session.quit()


def test_nothing_but_starttls_before_tls(smtp: FakeSmtp) -> None:
    session = smtplib.SMTP("127.0.0.1", smtp.port, timeout=5)
    session.ehlo()
    assert session.has_extn("starttls") and not session.has_extn("auth")
    assert session.mail("news@shop.example")[0] == 530
    session.quit()


def test_only_the_accounts_senders_are_allowed(start_smtp: StartSmtp) -> None:
    smtp = start_smtp(senders=frozenset({"news@shop.example"}))
    session = client(smtp)
    assert session.mail("ceo@shop.example")[0] == 553
    session.quit()
