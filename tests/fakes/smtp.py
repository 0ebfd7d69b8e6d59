"""A real SMTP submission server on 127.0.0.1 for tests, strict about the contract.

Built on aiosmtpd, in a thread of its own (its ``Controller``), on an ephemeral port.
It enforces what shared/platforms/email.md §2-§4 and §8 say a submission server does:

* ``security="starttls"``: STARTTLS offered, nothing but EHLO/STARTTLS/QUIT before it
  (530), capabilities announced again after it; ``"tls"``: TLS from the first byte;
  ``"none"``: clear text;
* AUTH (PLAIN/LOGIN) required before MAIL when ``username`` is set (530), refused with
  ``535 5.7.8`` for wrong credentials;
* ``senders``: the envelope senders the account may use (``553 5.7.1`` otherwise);
* every message is checked before it is accepted, and refused with ``554 5.6.0`` and
  the reason otherwise: CRLF line ends only, lines of at most 998 octets, exactly one
  Date, From and Message-ID, ASCII-only headers unless the transaction declared
  SMTPUTF8, and (``require_unsubscribe``) both RFC 8058 headers with an https URI.

It fails the way servers fail, on demand: ``replies`` answers RCPT for an address with
a given line (``"550 5.1.1 No such user"``, ``"450 4.2.1 Mailbox busy"``); ``faults``
is consumed one entry per DATA (see :data:`FAULTS`); ``fail_mail`` is consumed one
entry per MAIL: a reply line to answer instead (which may close the session) or
``"pass"``.
"""

from __future__ import annotations

import asyncio
import datetime
import email
import email.policy
import ipaddress
import re
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["FAULTS", "Certificate", "FakeSmtp", "Received", "make_certificate"]

#: What ``faults`` may hold, consumed one per DATA:
#: ``"pass"`` — behave; ``"stall"`` — keep the message, answer nothing for
#: ``stall_seconds`` (the client times out: delivered, but it can't know);
#: ``"drop"`` — keep the message and close the session without answering;
#: ``"greylist"`` — ``451 4.7.1`` (try again later), not kept;
#: ``"spam"`` — ``554 5.7.1`` (refused as spam), not kept;
#: ``"shutdown"`` — ``421 4.3.2`` and close, not kept.
FAULTS = frozenset({"pass", "stall", "drop", "greylist", "spam", "shutdown"})

_BARE_LF = re.compile(rb"(?<!\r)\n")
_BARE_CR = re.compile(rb"\r(?!\n)")
_HTTPS_URI = re.compile(r"<(https://[^>\s]+)>")


@dataclass(frozen=True)
class Certificate:
    """A throwaway self-signed certificate for 127.0.0.1 / localhost, as PEM files."""

    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def make_certificate(directory: Path, *, host: str = "127.0.0.1") -> Certificate:
    """A self-signed certificate valid for a day, for ``host`` and ``localhost``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "junction-test-smtp")])
    now = datetime.datetime.now(datetime.UTC)
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    try:
        names.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(cert_file, key_file)


@dataclass(frozen=True)
class Received:
    """One message the server accepted (or kept before failing on purpose)."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    tls: bool
    user: str | None
    smtputf8: bool

    @property
    def message(self) -> EmailMessage:
        """The message parsed as a mail client would."""
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class FakeSmtp:
    """The server; use it as a context manager (``with FakeSmtp(...) as server``)."""

    security: str = "starttls"
    username: str | None = None
    password: str | None = None
    certificate: Certificate | None = None
    senders: frozenset[str] | None = None
    require_unsubscribe: bool = True
    smtputf8: bool = False
    stall_seconds: float = 3.0
    replies: dict[str, str] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)
    #: Lines answered to the next MAIL commands ("pass": answer normally); a line ending
    #: in " close" also hangs up.
    fail_mail: list[str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    sessions: int = 0
    logins: list[str] = field(default_factory=list)
    host: str = "127.0.0.1"
    #: 0 (the default) listens on an ephemeral port; ``port`` holds it once started.
    port: int = 0

    def __post_init__(self) -> None:
        if self.security not in ("starttls", "tls", "none"):
            raise ValueError(f"security must be starttls, tls or none, not {self.security!r}")
        if self.security != "none" and self.certificate is None:
            raise ValueError(f"security {self.security!r} needs a certificate")
        unknown = set(self.faults) - FAULTS
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; known: {sorted(FAULTS)}")
        self._controller: _Controller | None = None

    # --- lifecycle -----------------------------------------------------------------

    def start(self) -> FakeSmtp:
        context = self.certificate.server_context() if self.certificate else None
        smtp_kwargs: dict[str, Any] = {
            "enable_SMTPUTF8": self.smtputf8,
            # Without TLS, AUTH is offered in clear only to a fake that has an account
            # (a local relay); otherwise it is never offered.
            "auth_require_tls": not (self.security == "none" and self.username is not None),
            "auth_required": self.username is not None,
            "authenticator": self._authenticate,
        }
        if self.security == "starttls":
            smtp_kwargs |= {"tls_context": context, "require_starttls": True}
        controller = _Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            server_hostname="smtp.test",
            ssl_context=context if self.security == "tls" else None,
            **smtp_kwargs,
        )
        controller.start()
        self.sessions = 0  # the Controller's own start-up probe is not a client's session
        self._controller = controller
        self.port = controller.port
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> FakeSmtp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what tests read -----------------------------------------------------------

    def delivered_to(self) -> list[str]:
        return [rcpt for message in self.received for rcpt in message.rcpt_tos]

    def message_for(self, address: str) -> EmailMessage:
        for message in self.received:
            if address in message.rcpt_tos:
                return message.message
        raise AssertionError(f"no message was delivered to {address}")

    # --- protocol --------------------------------------------------------------------

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = data.login.decode("utf-8", "replace")
        good = user == self.username and data.password.decode("utf-8", "replace") == (self.password)
        if good:
            self.logins.append(user)
        return AuthResult(success=good, handled=False, auth_data=user if good else None)

    def contract_problem(self, envelope: Envelope) -> str | None:
        """Why a received message breaks the submission contract, or None."""
        data = envelope.original_content or b""
        if _BARE_LF.search(data) or _BARE_CR.search(data):
            return "bare CR or LF: lines must end with CRLF"
        if any(len(line) > 998 for line in data.split(b"\r\n")):
            return "a line is longer than 998 octets"
        head = data.split(b"\r\n\r\n", 1)[0]
        if not envelope.smtp_utf8 and not head.isascii():
            return "non-ASCII header without SMTPUTF8: encode it per RFC 2047"
        message = email.message_from_bytes(data, policy=email.policy.default)
        for name in ("Date", "From", "Message-ID"):
            count = len(message.get_all(name) or [])
            if count != 1:
                return f"{name} appears {count} times; exactly one is required"
        if self.require_unsubscribe:
            unsubscribe = " ".join(message.get_all("List-Unsubscribe") or [])
            if not _HTTPS_URI.search(unsubscribe):
                return "List-Unsubscribe has no <https:...> URI (RFC 8058)"
            if message.get_all("List-Unsubscribe-Post") != ["List-Unsubscribe=One-Click"]:
                return "List-Unsubscribe-Post must be exactly List-Unsubscribe=One-Click"
        return None


class _Handler:
    """aiosmtpd's hooks, answering as the fake is told to."""

    def __init__(self, fake: FakeSmtp) -> None:
        self.fake = fake

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        fake = self.fake
        line = fake.fail_mail.pop(0) if fake.fail_mail else "pass"
        if line != "pass":
            if line.endswith(" close"):
                await server.push(line.removesuffix(" close"))
                _hang_up(server)
                return "421 closed"  # not seen: the session is gone
            return line
        if fake.senders is not None and address not in fake.senders:
            return f"553 5.7.1 <{address}>: Sender address rejected: not owned by user"
        # With a MAIL hook, recording the sender is the hook's job.
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self.fake.replies.get(address)
        if reply is not None and not reply.startswith("2"):
            self.fake.refused.append(address)
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        fake = self.fake
        problem = fake.contract_problem(envelope)
        if problem is not None:
            return f"554 5.6.0 Message refused: {problem}"
        fault = fake.faults.pop(0) if fake.faults else "pass"
        if fault == "greylist":
            return "451 4.7.1 Greylisted, try again later"
        if fault == "spam":
            return "554 5.7.1 Message refused as spam"
        if fault == "shutdown":
            await server.push("421 4.3.2 Service shutting down")
            _hang_up(server)
            return "421 closed"
        fake.received.append(
            Received(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                data=envelope.original_content or b"",
                tls=fake.security == "tls" or session.ssl is not None,
                user=session.auth_data if isinstance(session.auth_data, str) else None,
                smtputf8=envelope.smtp_utf8,
            )
        )
        if fault == "drop":
            _hang_up(server)
        elif fault == "stall":
            await asyncio.sleep(fake.stall_seconds)
        return "250 2.0.0 Ok: queued as FAKE" + str(len(fake.received))


def _hang_up(server: SMTP) -> None:
    if server.transport is not None:
        server.transport.close()


class _Controller(Controller):
    """aiosmtpd's Controller, counting sessions; port 0 picks an ephemeral port."""

    def __init__(self, handler: _Handler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.fake = handler.fake

    def factory(self) -> SMTP:
        self.fake.sessions += 1
        server = super().factory()
        if self.fake.security == "tls":
            # aiosmtpd counts only STARTTLS as TLS for AUTH; on the implicit TLS port the
            # whole session is encrypted, so AUTH is offered from the start.
            server._auth_require_tls = False
        return server

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()
