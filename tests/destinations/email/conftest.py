"""Fixtures: a throwaway certificate and real SMTP servers (tests/fakes/smtp.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ...fakes.smtp import Certificate, FakeSmtp, make_certificate
from .common import PASSWORD, USERNAME

StartSmtp = Callable[..., FakeSmtp]


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(Path(tmp_path_factory.mktemp("smtp-tls")))


@pytest.fixture
def start_smtp(certificate: Certificate) -> Iterator[StartSmtp]:
    """Starts fake servers (STARTTLS with AUTH unless told otherwise); stops them after."""
    servers: list[FakeSmtp] = []

    def start(**settings: Any) -> FakeSmtp:
        settings.setdefault("security", "starttls")
        if settings["security"] != "none":
            settings.setdefault("certificate", certificate)
        if settings.pop("auth", True):
            settings.setdefault("username", USERNAME)
            settings.setdefault("password", PASSWORD)
        server = FakeSmtp(**settings).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def smtp(start_smtp: StartSmtp) -> FakeSmtp:
    """The usual server: STARTTLS on submission, AUTH required."""
    return start_smtp()
