"""One SMTP submission session, blocking (run it in a worker thread).

``open`` connects, secures the session as configured, and authenticates; failures
there are raised as the plugin errors the engine acts on (nothing was sent yet).
``deliver`` then submits one message to one recipient per transaction — ``MAIL``,
one ``RCPT``, ``DATA`` — so a refused address or a refused message costs only itself.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable

import msgspec

from junction.destinations.email.config import EmailConfig, Security
from junction.destinations.email.replies import Reply, SenderRefused, SessionLost, outcome
from junction.plugins import (
    AuthFailed,
    ConfigInvalid,
    PluginError,
    RecordResult,
    RecordStatus,
    Retryable,
)

__all__ = ["Outgoing", "Pacer", "SmtpSession", "tls_context"]

_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


class Outgoing(msgspec.Struct, frozen=True, kw_only=True):
    """One message ready for the wire."""

    key: str
    recipient: str
    message_id: str
    data: bytes
    #: The recipient's address is not ASCII: needs the server's SMTPUTF8 (RFC 6531).
    utf8: bool = False


def tls_context(config: EmailConfig) -> ssl.SSLContext:
    """The TLS context: certificates and host name verified, against ``ca_file`` if set.

    Raises:
        ConfigInvalid: ``ca_file`` can't be read as PEM certificates.
    """
    try:
        return ssl.create_default_context(cafile=config.ca_file)
    except (OSError, ssl.SSLError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigInvalid(
            f"ca_file {config.ca_file!r} can't be loaded: {reason}", field="ca_file"
        ) from None


class SmtpSession:
    """A session with the configured server; ``with`` it to QUIT at the end."""

    def __init__(self, config: EmailConfig, context: ssl.SSLContext | None) -> None:
        self.config = config
        self.context = context
        self.smtp: smtplib.SMTP | None = None
        self.where = f"{config.host}:{config.port}"

    def __enter__(self) -> SmtpSession:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        """Connect, EHLO, STARTTLS (then EHLO again) or implicit TLS, and AUTH.

        Raises:
            Retryable: the server can't be reached or is busy (421, 4xx, timeout).
            AuthFailed: the server refused the username or password (535).
            ConfigInvalid: the server and the config don't fit (no STARTTLS offered,
                AUTH required but not configured, a certificate that doesn't verify).
        """
        config = self.config
        try:
            if config.security is Security.TLS:
                self.smtp = smtplib.SMTP_SSL(
                    config.host, config.port, timeout=config.timeout_seconds, context=self.context
                )
            else:
                self.smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
            self._ehlo()
            if config.security is Security.STARTTLS:
                self._starttls()
            if config.username is not None and config.authenticates:
                self._login(config.username, config.password)
        except PluginError:
            self.close()
            raise
        except smtplib.SMTPConnectError as exc:
            self.close()
            reply = Reply.of(exc.smtp_code, exc.smtp_error)
            raise Retryable(f"{self.where} refused the session: {reply.describe()}") from None
        except ssl.SSLCertVerificationError as exc:
            self.close()
            raise ConfigInvalid(
                f"the certificate of {self.where} does not verify ({exc.verify_message}): "
                "check host, or set ca_file for a private CA",
                field="ca_file",
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise Retryable(
                f"could not open an SMTP session with {self.where}: {_why(exc)}"
            ) from None

    def _ehlo(self) -> None:
        assert self.smtp is not None
        code, text = self.smtp.ehlo()
        if code != 250:
            reply = Reply.of(code, text)
            raise Retryable(f"{self.where} refused EHLO: {reply.describe()}")

    def _starttls(self) -> None:
        assert self.smtp is not None
        if not self.smtp.has_extn("starttls"):
            # RFC 3207: a client that requires TLS must not continue in clear.
            raise ConfigInvalid(
                f"{self.where} does not offer STARTTLS: use security 'tls' on its implicit "
                "TLS port (465), or another server",
                field="security",
            )
        # A refusal (454 TLS not available) raises SMTPResponseException: Retryable.
        self.smtp.starttls(context=self.context)
        # Capabilities announced before TLS are void (RFC 3207 §4.2): ask again.
        self._ehlo()

    def _login(self, username: str, password: str) -> None:
        assert self.smtp is not None
        if not self.smtp.has_extn("auth"):
            raise ConfigInvalid(
                f"{self.where} offers no AUTH (over this connection): remove username and "
                "password, or use the server's submission port",
                field="username",
            )
        try:
            self.smtp.login(username, password)
        except smtplib.SMTPAuthenticationError as exc:
            # The server's text, never the password (and never smtplib's own message).
            reply = Reply.of(exc.smtp_code, exc.smtp_error)
            text = reply.describe().replace(password, "***")
            if reply.code == 454 or reply.transient:
                raise Retryable(f"{self.where} could not authenticate for now: {text}") from None
            raise AuthFailed(
                f"{self.where} refused the username {username!r} or its password: {text}"
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise ConfigInvalid(f"{self.where} offers no AUTH", field="username") from None
        except smtplib.SMTPException as exc:
            # "No suitable authentication method found."
            raise ConfigInvalid(f"{self.where}: {_why(exc)}", field="username") from None

    def deliver(self, outgoing: Outgoing, sender: str) -> RecordResult:
        """Submit one message; its result, or SessionLost when the session broke.

        Raises:
            SessionLost: the server closed or stopped answering; ``sent`` says whether
                this message's data had gone out.
        """
        smtp = self.smtp
        assert smtp is not None, "open() first"
        options = ["SMTPUTF8"] if outgoing.utf8 else []
        if outgoing.utf8 and not smtp.has_extn("smtputf8"):
            reason = f"{self.where} does not offer SMTPUTF8, which this non-ASCII address needs"
            return RecordResult(
                key=outgoing.key,
                status=RecordStatus.REJECTED,
                reason=reason,
                code="smtputf8_unsupported",
            )
        mail = self._command(lambda: smtp.mail(sender, options), "MAIL")
        if mail.code != 250:
            if mail.permanent:
                raise SenderRefused(mail)
            self._reset()
            return outcome(outgoing.key, "MAIL", mail)
        rcpt = self._command(lambda: smtp.rcpt(outgoing.recipient), "RCPT")
        if rcpt.code not in (250, 251):
            self._reset()
            return outcome(outgoing.key, "RCPT", rcpt)
        data = self._command(lambda: smtp.docmd("DATA"), "DATA")
        if data.code != 354:
            self._reset()
            return outcome(outgoing.key, "DATA", data)
        return self._transfer(smtp, outgoing)

    def _transfer(self, smtp: smtplib.SMTP, outgoing: Outgoing) -> RecordResult:
        # Dot-stuffing (RFC 5321 §4.5.2); the policy already wrote CRLF line ends.
        payload = _LEADING_DOT.sub(b"..", outgoing.data)
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
        try:
            smtp.send(payload + b".\r\n")
        except (smtplib.SMTPException, OSError) as exc:
            # Part of the data may have gone; without the final dot nothing is delivered.
            raise SessionLost(f"lost the session while sending: {_why(exc)}", sent=False) from None
        try:
            reply = Reply.of(*smtp.getreply())
        except (smtplib.SMTPException, OSError) as exc:
            raise SessionLost(
                f"no answer after the message was sent ({_why(exc)}): it may have been delivered",
                sent=True,
            ) from None
        if reply.closing:
            raise SessionLost(f"DATA: {reply.describe()}", sent=False, code=reply.code)
        return outcome(outgoing.key, "DATA", reply, message_id=outgoing.message_id)

    def _command(self, call: Callable[[], tuple[int, bytes]], step: str) -> Reply:
        try:
            code, text = call()
        except (smtplib.SMTPException, OSError) as exc:
            raise SessionLost(f"{step}: {_why(exc)}", sent=False) from None
        reply = Reply.of(code, text)
        if reply.closing:
            raise SessionLost(f"{step}: {reply.describe()}", sent=False, code=reply.code)
        return reply

    def _reset(self) -> None:
        # RSET ends the failed transaction so the next message starts clean.
        assert self.smtp is not None
        self._command(self.smtp.rset, "RSET")

    def close(self) -> None:
        """QUIT if possible; a session that already broke is just closed."""
        if self.smtp is None:
            return
        smtp, self.smtp = self.smtp, None
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


class Pacer:
    """At most ``per_second`` messages per second on one session."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second
        self.next_at = time.monotonic()

    def wait(self) -> None:
        now = time.monotonic()
        if self.next_at > now:
            time.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.interval


def _why(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, smtplib.SMTPResponseException):
        return Reply.of(exc.smtp_code, exc.smtp_error).describe()
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
