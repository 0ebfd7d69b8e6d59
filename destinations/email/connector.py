"""The ``email`` connector: personalised mail over SMTP submission, one-click unsubscribe.

Each batch is one SMTP session (opened in a worker thread: ``smtplib`` blocks) carrying
one transaction per recipient, so results are per recipient and one refused address
never sinks the others.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import TypeAlias

from junction.destinations.email.addresses import InvalidAddress, parse_address
from junction.destinations.email.config import EmailConfig, Security, options_of
from junction.destinations.email.mime import Envelope, compose, message_id
from junction.destinations.email.replies import SenderRefused, SessionLost
from junction.destinations.email.session import Outgoing, Pacer, SmtpSession, tls_context
from junction.destinations.email.tokens import sign
from junction.plugins import (
    BatchResult,
    Capability,
    CheckResult,
    ConfigInvalid,
    ConnectorContext,
    ConnectorSpec,
    IdentifierRule,
    Kind,
    Limits,
    Message,
    Messenger,
    Recipient,
    RecordResult,
    RecordStatus,
    Retryable,
)

__all__ = ["MAX_BATCH", "UNSUBSCRIBE_PATH", "Email", "unsubscribe_url"]

#: Messages per SMTP session: RFC 5321 servers take 100 recipients a transaction, and
#: many relays cap messages per session near that.
MAX_BATCH = 100
UNSUBSCRIBE_PATH = "/hooks/email/unsubscribe"

Ctx: TypeAlias = ConnectorContext[EmailConfig]


def unsubscribe_url(config: EmailConfig, token: str) -> str:
    """The one-click link served by this hub's ``/hooks/email/unsubscribe`` route."""
    return f"{config.public_url.rstrip('/')}{UNSUBSCRIBE_PATH}?t={token}"


class Email(Messenger[EmailConfig]):
    """Sends each recipient their own rendered e-mail through an SMTP relay."""

    spec = ConnectorSpec(
        name="email",
        kind=Kind.DESTINATION,
        title="E-mail (SMTP)",
        description=(
            "Send personalised e-mail through your SMTP relay or ESP (STARTTLS or implicit "
            "TLS, AUTH), with RFC 8058 one-click unsubscribe links served by this hub that "
            "withdraw the recipient's consent."
        ),
        config=EmailConfig,
        capabilities=frozenset({Capability.MESSAGE}),
        accepts=(IdentifierRule(type="email", normalizer="email_lower"),),
        limits=Limits(max_batch_records=MAX_BATCH),
        idempotent=False,
        docs_url="docs/destinations/email.md",
    )

    async def check(self, ctx: Ctx) -> CheckResult:
        config = ctx.config
        context = _context(config)

        def probe() -> None:
            with SmtpSession(config, context):
                pass

        try:
            await asyncio.to_thread(probe)
        except Retryable as exc:
            return CheckResult(ok=False, message=exc.message)
        secured = {
            Security.STARTTLS: "STARTTLS",
            Security.TLS: "implicit TLS",
            Security.NONE: "no TLS (local relay)",
        }[config.security]
        login = f", logged in as {config.username}" if config.username else ""
        return CheckResult(
            ok=True,
            message=f"{config.host}:{config.port} accepted the session with {secured}{login}.",
        )

    async def send(
        self, ctx: Ctx, message: Message, recipients: Sequence[Recipient]
    ) -> BatchResult:
        config = ctx.config
        options = options_of(message)
        purpose = options.unsubscribe_purpose or config.unsubscribe_purpose
        reply_to = options.reply_to or config.reply_to
        now = ctx.now()
        results: dict[str, RecordResult] = {}
        ready: list[Outgoing] = []
        for recipient in recipients:
            prepared = _prepare(ctx, message, recipient, purpose, reply_to, now)
            if isinstance(prepared, RecordResult):
                results[recipient.key] = prepared
            else:
                ready.append(prepared)
        if ready:
            context = _context(config)
            stop = threading.Event()
            try:
                results |= await asyncio.to_thread(_submit, config, context, ready, stop)
            except asyncio.CancelledError:
                # The thread can't be cancelled: make it stop after the message in flight.
                stop.set()
                raise
        counts = {status: 0 for status in RecordStatus}
        for result in results.values():
            counts[result.status] += 1
        ctx.log.info(
            "email batch of %d: %s",
            len(recipients),
            ", ".join(f"{count} {status.value}" for status, count in counts.items() if count),
        )
        return BatchResult(
            results=tuple(results[r.key] for r in recipients), received=len(recipients)
        )


def _context(config: EmailConfig) -> ssl.SSLContext | None:
    return None if config.security is Security.NONE else tls_context(config)


def _prepare(
    ctx: Ctx,
    message: Message,
    recipient: Recipient,
    purpose: str,
    reply_to: str | None,
    now: datetime,
) -> Outgoing | RecordResult:
    """The recipient's message ready to submit, or why it can't be sent."""
    config = ctx.config
    raw = recipient.address.get("email")
    if not raw:
        return _rejected(recipient.key, "the recipient has no e-mail address", "no_email")
    try:
        address = parse_address(raw)
    except InvalidAddress as exc:
        return _rejected(recipient.key, str(exc), "invalid_email")
    content = recipient.content or message.content
    if content is None or not (content.text or content.html):
        return _rejected(
            recipient.key, "nothing to send: the message has neither text nor html", "no_content"
        )
    token = sign(
        config.unsubscribe_secret,
        connection=ctx.connection,
        email=raw,
        purpose=purpose,
        issued_at=now,
    )
    envelope = Envelope(
        from_address=config.from_address,
        from_name=config.from_name,
        to=address.wire,
        reply_to=reply_to,
        list_id=config.list_id,
        unsubscribe_url=unsubscribe_url(config, token),
        unsubscribe_mailto=config.unsubscribe_mailto,
        message_id=message_id(recipient.key, config.domain),
        date=now,
    )
    msg = compose(envelope, content, utf8=address.utf8)
    return Outgoing(
        key=recipient.key,
        recipient=address.wire,
        message_id=envelope.message_id,
        data=msg.as_bytes(),
        utf8=address.utf8,
    )


def _submit(
    config: EmailConfig,
    context: ssl.SSLContext | None,
    batch: list[Outgoing],
    stop: threading.Event,
) -> dict[str, RecordResult]:
    """Send ``batch`` in one session (blocking; runs in a worker thread) until ``stop``."""
    results: dict[str, RecordResult] = {}
    pacer = Pacer(config.messages_per_second)
    went_out = False
    with SmtpSession(config, context) as session:
        for index, outgoing in enumerate(batch):
            pacer.wait()
            if stop.is_set():
                results |= _not_sent(batch[index:], "the send was cancelled")
                break
            try:
                result = session.deliver(outgoing, config.from_address)
            except SessionLost as lost:
                status = RecordStatus.UNKNOWN if lost.sent else RecordStatus.RETRY
                code = str(lost.code) if lost.code else None
                results[outgoing.key] = RecordResult(
                    key=outgoing.key, status=status, reason=lost.reason, code=code
                )
                results |= _not_sent(batch[index + 1 :], f"the session ended: {lost.reason}")
                break
            except SenderRefused as refused:
                if not went_out:
                    raise _sender_error(config, refused) from None
                reason = f"MAIL: {refused.reply.describe()}"
                results |= _not_sent(batch[index:], reason, str(refused.reply.code))
                break
            results[outgoing.key] = result
            went_out = went_out or result.status is RecordStatus.ACCEPTED
    return results


def _sender_error(config: EmailConfig, refused: SenderRefused) -> ConfigInvalid:
    reply = refused.reply.describe()
    if refused.reply.code == 530:
        return ConfigInvalid(
            f"{config.host} requires authentication ({reply}): set username and password",
            field="username",
        )
    return ConfigInvalid(
        f"{config.host} refused the sender {config.from_address} ({reply}): use an address "
        "the relay lets this account send as",
        field="from_address",
        code=str(refused.reply.code),
    )


def _not_sent(
    outgoing: Sequence[Outgoing], reason: str, code: str | None = None
) -> dict[str, RecordResult]:
    return {
        o.key: RecordResult(
            key=o.key, status=RecordStatus.RETRY, reason=f"not sent: {reason}", code=code
        )
        for o in outgoing
    }


def _rejected(key: str, reason: str, code: str) -> RecordResult:
    return RecordResult(key=key, status=RecordStatus.REJECTED, reason=reason, code=code)
