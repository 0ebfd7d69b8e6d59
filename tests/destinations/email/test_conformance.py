"""The conformance kit on the ``email`` connector, against a real SMTP server.

The kit takes its configs when the module is imported, so the server's port and the
certificate the client trusts are chosen then; the module's fixture runs the server.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from junction.destinations.email import Email
from junction.plugins import Content, Message, Recipient
from junction.plugins.testing import ConformanceCase, conformance_suite

from ...fakes.smtp import FakeSmtp, make_certificate
from .common import PASSWORD, USERNAME, raw_config, recipient

CERT_DIR = Path(tempfile.mkdtemp(prefix="junction-email-conformance-"))
CERTIFICATE = make_certificate(CERT_DIR)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SERVER = FakeSmtp(
    security="starttls",
    certificate=CERTIFICATE,
    username=USERNAME,
    password=PASSWORD,
    port=_free_port(),
    replies={"gone@example.org": "550 5.1.1 No such user"},
)
VALID: dict[str, Any] = raw_config(SERVER, timeout_seconds=5.0)
BAD = {**VALID, "password": "smtp-pass-WRONG-98765"}


@pytest.fixture(autouse=True, scope="module")
def server() -> Iterator[FakeSmtp]:
    SERVER.start()
    yield SERVER
    SERVER.stop()
    shutil.rmtree(CERT_DIR, ignore_errors=True)


RECIPIENTS = (
    recipient("k1", "ada@example.org"),
    recipient("k2", "gone@example.org"),  # the server refuses the mailbox
    recipient("k3", "not-an-address"),  # refused before any SMTP
    Recipient(key="k4", address={"phone": "+8613800138000"}),  # no e-mail at all
    Recipient(key="k5", address={"email": "grace@example.org"}),  # the message's content
)

TestEmailConformance = conformance_suite(
    ConformanceCase(
        connector=Email,
        valid_config=VALID,
        bad_credentials_config=BAD,
        sample_recipients=RECIPIENTS,
        message=Message(content=Content(subject="Conformance", text="Sent by the kit")),
    )
)


def test_the_kit_really_delivered(server: FakeSmtp) -> None:
    """The send check above went through the server (not a shortcut)."""
    assert "ada@example.org" in server.delivered_to()
    assert "gone@example.org" in server.refused
