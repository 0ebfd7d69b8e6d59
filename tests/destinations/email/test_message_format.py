"""What arrives at the server: headers, MIME parts and encodings, parsed like a mail client."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

from junction.destinations.email import Email
from junction.destinations.email.tokens import verify
from junction.plugins import Message, RecordStatus

from ...fakes.smtp import FakeSmtp
from .common import FROM, LIST_ID, PUBLIC_URL, UNSUBSCRIBE_SECRET, context, recipient


def lines(text: str) -> str:
    """Text as a mail client shows it (the wire's CRLF line ends as newlines)."""
    return text.replace("\r\n", "\n")


async def send_one(smtp: FakeSmtp, address: str, message: Message | None = None, **parts: str):
    ctx = context(smtp)
    result = await Email().send(ctx, message or Message(), [recipient("key-1", address, **parts)])
    assert [r.status for r in result.results] == [RecordStatus.ACCEPTED], result
    return smtp.received[-1]


async def test_text_and_html_make_multipart_alternative_plain_first(smtp: FakeSmtp) -> None:
    received = await send_one(
        smtp, "ada@example.org", subject="Hi", text="Hello Ada\n", html="<p>Hello <b>Ada</b></p>"
    )
    msg = received.message
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert parts[0].get_content().strip() == "Hello Ada"
    assert parts[1].get_content().strip() == "<p>Hello <b>Ada</b></p>"
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert all(p["Content-Transfer-Encoding"] == "quoted-printable" for p in parts)
    # MIME-Version belongs on the message only.
    assert msg["MIME-Version"] == "1.0" and all(p["MIME-Version"] is None for p in parts)


async def test_text_only_and_html_only_are_single_parts(smtp: FakeSmtp) -> None:
    text = (await send_one(smtp, "a@example.org", subject="T", text="only text")).message
    assert text.get_content_type() == "text/plain" and not text.is_multipart()
    html = (await send_one(smtp, "b@example.org", subject="H", html="<p>only html</p>")).message
    assert html.get_content_type() == "text/html"
    assert html.get_content().strip() == "<p>only html</p>"


async def test_chinese_subject_and_names_are_rfc2047_encoded(smtp: FakeSmtp) -> None:
    subject = "双十一会员专享：全场五折，仅限今天！Members only — 50% off"
    received = await send_one(smtp, "li@example.cn", subject=subject, text="你好，李雷\n")
    head = received.data.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()  # no raw UTF-8 in headers: any server takes it
    assert re.search(rb"^Subject: =\?utf-8\?[bq]\?", head, re.MULTILINE | re.IGNORECASE)
    msg = received.message
    assert msg["Subject"] == subject
    assert msg["From"].addresses[0].display_name == "Shop 商店"
    assert msg["From"].addresses[0].addr_spec == FROM
    body = msg.get_body(("plain",))
    assert body is not None and lines(body.get_content()) == "你好，李雷\n"
    # Bodies stay 7-bit and every line short, whatever the content.
    body_lines = received.data.split(b"\r\n\r\n", 1)[1].split(b"\r\n")
    assert all(len(line) <= 78 and line.isascii() for line in body_lines)


async def test_identity_headers(smtp: FakeSmtp) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    received = await send_one(smtp, "ada@example.org", text="x")
    msg = received.message
    assert msg["To"] == "ada@example.org"
    assert msg["Message-ID"] == "<key-1@shop.example>"  # the send key finds the send
    date = parsedate_to_datetime(msg["Date"])
    assert before - timedelta(seconds=1) <= date <= datetime.now(UTC) + timedelta(seconds=1)
    assert msg["List-Id"] == f"<{LIST_ID}>"
    assert received.mail_from == FROM and received.rcpt_tos == ("ada@example.org",)
    assert msg["Reply-To"] is None


async def test_one_click_unsubscribe_headers_carry_a_signed_link(smtp: FakeSmtp) -> None:
    ctx = context(smtp, unsubscribe_mailto="unsubscribe@shop.example")
    message = Message(options={"unsubscribe_purpose": "newsletter"})
    await Email().send(ctx, message, [recipient("k", "ada@example.org", text="hi")])
    received = smtp.received[-1]
    msg = received.message
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    uris = re.findall(r"<([^>]+)>", msg["List-Unsubscribe"])
    assert uris[1] == "mailto:unsubscribe@shop.example?subject=unsubscribe"
    link = urlsplit(uris[0])
    assert f"{link.scheme}://{link.netloc}" == PUBLIC_URL
    assert link.path == "/hooks/email/unsubscribe"
    token = parse_qs(link.query)["t"][0]
    claims = verify(UNSUBSCRIBE_SECRET, token, now=datetime.now(UTC), max_age=timedelta(days=365))
    assert (claims.connection, claims.email, claims.purpose) == (
        "newsletter",
        "ada@example.org",
        "newsletter",
    )
    # Written as is, never folded into encoded-words (which would break the URI).
    raw = received.data.decode("ascii")
    assert f"List-Unsubscribe: <{uris[0]}>," in raw and "=?" not in raw.split("List-Id")[1][:600]


async def test_reply_to_from_config_or_sync_options(smtp: FakeSmtp) -> None:
    ctx = context(smtp, reply_to="care@shop.example")
    await Email().send(ctx, Message(), [recipient("a", "a@example.org", text="x")])
    assert smtp.received[-1].message["Reply-To"] == "care@shop.example"
    message = Message(options={"reply_to": "vip@shop.example"})
    await Email().send(ctx, message, [recipient("b", "b@example.org", text="x")])
    assert smtp.received[-1].message["Reply-To"] == "vip@shop.example"


async def test_leading_dots_and_long_lines_survive_the_wire(smtp: FakeSmtp) -> None:
    text = ".hidden dot line\n..two dots\n" + "x" * 2000 + "\n"
    received = await send_one(smtp, "ada@example.org", text=text)
    body = received.message.get_body(("plain",))
    assert body is not None and lines(body.get_content()) == text


async def test_shared_content_is_used_when_the_recipient_has_none(smtp: FakeSmtp) -> None:
    from junction.plugins import Content, Recipient

    message = Message(content=Content(subject="For all", text="Same for everyone"))
    ctx = context(smtp)
    await Email().send(ctx, message, [Recipient(key="k", address={"email": "a@example.org"})])
    assert smtp.received[-1].message["Subject"] == "For all"
