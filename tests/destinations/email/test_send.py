"""Per-recipient results of ``send`` and how session-wide failures surface."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from junction.destinations.email import Email
from junction.plugins import (
    AuthFailed,
    ConfigInvalid,
    Message,
    Recipient,
    RecordResult,
    RecordStatus,
    Retryable,
)

from ...fakes.smtp import FakeSmtp
from .common import PASSWORD, Captured, context, recipient
from .conftest import StartSmtp

ACCEPTED, REJECTED = RecordStatus.ACCEPTED, RecordStatus.REJECTED
RETRY, UNKNOWN = RecordStatus.RETRY, RecordStatus.UNKNOWN


def by_key(results: tuple[RecordResult, ...]) -> dict[str, RecordResult]:
    return {result.key: result for result in results}


async def send(smtp: FakeSmtp, *addresses: str, **overrides: object) -> dict[str, RecordResult]:
    recipients = [recipient(f"k{n}", address) for n, address in enumerate(addresses)]
    result = await Email().send(context(smtp, **overrides), Message(), recipients)
    assert [r.key for r in result.results] == [r.key for r in recipients]
    return by_key(result.results)


async def test_each_rcpt_reply_decides_its_recipient_only(start_smtp: StartSmtp) -> None:
    smtp = start_smtp(
        replies={
            "greylisted@example.org": "451 4.7.1 Greylisted, try again later",
            "full@example.org": "452 4.2.2 Mailbox full",
            "busy@example.org": "450 4.2.1 Mailbox busy",
            "nobody@example.org": "550 5.1.1 No such user",
            "denied@example.org": "553 5.7.1 Relaying denied",
        }
    )
    addresses = [
        "ok1@example.org",
        "greylisted@example.org",
        "full@example.org",
        "busy@example.org",
        "nobody@example.org",
        "denied@example.org",
        "ok2@example.org",
    ]
    results = await send(smtp, *addresses)
    statuses = [(results[f"k{n}"].status, results[f"k{n}"].code) for n in range(len(addresses))]
    assert statuses == [
        (ACCEPTED, None),
        (RETRY, "451"),
        (RETRY, "452"),
        (RETRY, "450"),
        (REJECTED, "550"),
        (REJECTED, "553"),
        (ACCEPTED, None),
    ]
    assert results["k4"].reason == "RCPT: 550 5.1.1 No such user"
    assert results["k0"].platform_id == "<k0@shop.example>"
    # One session, one transaction (one RCPT) per message.
    assert smtp.sessions == 1
    assert [m.rcpt_tos for m in smtp.received] == [("ok1@example.org",), ("ok2@example.org",)]


async def test_data_replies_decide_the_message(start_smtp: StartSmtp) -> None:
    smtp = start_smtp(faults=["greylist", "spam", "pass"])
    results = await send(smtp, "a@example.org", "b@example.org", "c@example.org")
    assert (results["k0"].status, results["k0"].code) == (RETRY, "451")
    assert (results["k1"].status, results["k1"].code) == (REJECTED, "554")
    assert results["k1"].reason == "DATA: 554 5.7.1 Message refused as spam"
    assert results["k2"].status is ACCEPTED
    assert smtp.delivered_to() == ["c@example.org"]


async def test_unsendable_recipients_are_rejected_without_a_session(smtp: FakeSmtp) -> None:
    recipients = [
        Recipient(key="none", address={"phone": "+8613800138000"}),
        recipient("spaces", "ada lovelace@example.org"),
        recipient("nodomain", "ada@"),
        recipient("badhost", "ada@exa_mple..org"),
        recipient("inject", "ada@example.org\r\nBcc: all@example.org"),
        Recipient(key="empty", address={"email": "ada@example.org"}),
    ]
    result = await Email().send(context(smtp), Message(), recipients)
    results = by_key(result.results)
    assert {r.status for r in results.values()} == {REJECTED}
    assert results["none"].code == "no_email"
    assert results["empty"].code == "no_content"
    assert {results[k].code for k in ("spaces", "nodomain", "badhost", "inject")} == {
        "invalid_email"
    }
    assert smtp.sessions == 0


async def test_a_timeout_after_data_is_unknown_and_the_rest_retried(start_smtp: StartSmtp) -> None:
    smtp = start_smtp(faults=["pass", "stall"], stall_seconds=3)
    results = await send(smtp, "a@example.org", "b@example.org", "c@example.org")
    assert results["k0"].status is ACCEPTED
    assert results["k1"].status is UNKNOWN
    assert "may have been delivered" in (results["k1"].reason or "")
    assert results["k2"].status is RETRY
    assert (results["k2"].reason or "").startswith("not sent: the session ended")
    # The unknown one did arrive: resending it would have been a duplicate.
    assert smtp.delivered_to() == ["a@example.org", "b@example.org"]


async def test_a_session_dropped_after_data_is_unknown(start_smtp: StartSmtp) -> None:
    smtp = start_smtp(faults=["drop"])
    results = await send(smtp, "a@example.org", "b@example.org")
    assert (results["k0"].status, results["k1"].status) == (UNKNOWN, RETRY)


async def test_421_closes_the_session_and_nothing_more_is_sent(start_smtp: StartSmtp) -> None:
    smtp = start_smtp(faults=["pass", "shutdown"])
    results = await send(smtp, "a@example.org", "b@example.org", "c@example.org")
    assert results["k0"].status is ACCEPTED
    # 421 in answer to the data: the server did not take it, so it is retried.
    assert (results["k1"].status, results["k1"].code) == (RETRY, "421")
    assert results["k2"].status is RETRY


async def test_421_on_mail_retries_the_whole_batch(start_smtp: StartSmtp) -> None:
    smtp = start_smtp(fail_mail=["421 4.7.0 Too many connections, try later close"])
    results = await send(smtp, "a@example.org", "b@example.org")
    assert {r.status for r in results.values()} == {RETRY}
    assert smtp.received == []


async def test_connection_refused_is_retryable() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    fake = FakeSmtp(security="none")
    fake.port = port
    with pytest.raises(Retryable, match="connection refused"):
        await send(fake, "a@example.org")


async def test_a_421_greeting_is_retryable() -> None:
    async def busy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"421 4.3.2 Too many connections, try later\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(busy, "127.0.0.1", 0)
    fake = FakeSmtp(security="none")
    fake.port = server.sockets[0].getsockname()[1]
    async with server:
        with pytest.raises(Retryable, match=r"421 4\.3\.2 Too many connections"):
            await send(fake, "a@example.org")


async def test_wrong_password_is_auth_failed_without_the_password(start_smtp: StartSmtp) -> None:
    smtp = start_smtp(password="the-server-knows-another")
    log = Captured()
    with pytest.raises(AuthFailed) as caught:
        await Email().send(
            context(smtp, log=log, password=PASSWORD), Message(), [recipient("k", "a@x.org")]
        )
    assert "535" in caught.value.message
    assert PASSWORD not in repr(caught.value.args) and caught.value.__cause__ is None
    assert all(PASSWORD not in line for line in log.lines)
    assert smtp.received == []


async def test_missing_auth_is_a_config_error(start_smtp: StartSmtp) -> None:
    smtp = start_smtp()
    with pytest.raises(ConfigInvalid, match="requires authentication") as caught:
        await send(smtp, "a@example.org", username=None, password="")
    assert caught.value.field == "username"


async def test_a_refused_sender_is_a_config_error(start_smtp: StartSmtp) -> None:
    smtp = start_smtp(senders=frozenset({"other@shop.example"}))
    with pytest.raises(ConfigInvalid, match="refused the sender") as caught:
        await send(smtp, "a@example.org")
    assert caught.value.field == "from_address"


async def test_a_sender_refused_mid_batch_retries_the_rest(start_smtp: StartSmtp) -> None:
    # The account's quota runs out between two messages: what went out stays out.
    smtp = start_smtp(fail_mail=["pass", "550 5.7.1 Daily sending quota exceeded"])
    results = await send(smtp, "a@example.org", "b@example.org", "c@example.org")
    assert results["k0"].status is ACCEPTED
    assert (results["k1"].status, results["k1"].code) == (RETRY, "550")
    assert results["k1"].reason == "not sent: MAIL: 550 5.7.1 Daily sending quota exceeded"
    assert results["k2"].status is RETRY
    assert smtp.delivered_to() == ["a@example.org"]


async def test_non_ascii_local_parts_need_smtputf8(start_smtp: StartSmtp) -> None:
    plain = start_smtp()
    results = await send(plain, "张三@例子.中国")
    assert (results["k0"].status, results["k0"].code) == (REJECTED, "smtputf8_unsupported")
    assert "SMTPUTF8" in (results["k0"].reason or "")
    utf8 = start_smtp(smtputf8=True)
    results = await send(utf8, "张三@例子.中国")
    assert results["k0"].status is ACCEPTED
    received = utf8.received[0]
    assert received.smtputf8 and received.rcpt_tos == ("张三@xn--fsqu00a.xn--fiqs8s",)


async def test_an_idn_domain_goes_out_as_punycode(smtp: FakeSmtp) -> None:
    results = await send(smtp, "ada@bücher.example")
    assert results["k0"].status is ACCEPTED
    assert smtp.received[0].rcpt_tos == ("ada@xn--bcher-kva.example",)


async def test_messages_per_second_paces_a_session(smtp: FakeSmtp) -> None:
    started = time.monotonic()
    await send(smtp, "a@example.org", "b@example.org", "c@example.org", messages_per_second=10)
    # Three messages at 10/s: the third starts 0.2 s after the first.
    assert time.monotonic() - started >= 0.2
    assert len(smtp.received) == 3


async def test_unknown_options_are_refused(smtp: FakeSmtp) -> None:
    message = Message(options={"sign_name": "not for e-mail"})
    with pytest.raises(ConfigInvalid, match="options"):
        await Email().send(context(smtp), message, [recipient("k", "a@example.org")])
