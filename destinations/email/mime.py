"""Building one recipient's message: RFC 5322 headers, MIME parts, unsubscribe headers.

Headers are US-ASCII with RFC 2047 encoded-words for non-ASCII text (subject, display
names), so any server takes them; only a recipient whose address itself is non-ASCII
needs a server offering SMTPUTF8 (RFC 6531), and gets a UTF-8 message then. Bodies are
quoted-printable UTF-8: 7-bit safe, lines under 78 characters whatever the content.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime
from typing import Any

import msgspec

from junction.plugins import Content

__all__ = ["Envelope", "compose", "message_id"]

#: Headers that hold URIs in angle brackets (RFC 2369/2919/8058). The email package
#: would fold a long one into RFC 2047 encoded-words, which breaks the URIs for mailbox
#: providers, so they are written as given: one URI per line, each under 998 octets.
_VERBATIM = frozenset({"list-unsubscribe", "list-unsubscribe-post", "list-id"})
#: Characters a Message-ID's left part may hold (RFC 5322 dot-atom-text, minus dots).
_ID_TEXT = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,128}$")


class _Policy(EmailPolicy):
    """The SMTP policy (CRLF, 78-column folding), except for the verbatim headers."""

    def fold(self, name: str, value: str) -> str:
        if name.lower() in _VERBATIM:
            return _fold_uri_list(name, str(value), self.linesep)
        return str(super().fold(name, value))

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() in _VERBATIM:
            return _fold_uri_list(name, str(value), self.linesep).encode("ascii")
        return super().fold_binary(name, value)


def _fold_uri_list(name: str, value: str, linesep: str) -> str:
    # Break only after the commas separating <...> items: folding whitespace between
    # list elements is allowed, inside a URI it is not.
    items = [item.strip() for item in value.split(">,")]
    joined = (">," + linesep + " ").join(items)
    return f"{name}: {joined}{linesep}"


#: For every message to an ASCII address.
POLICY = _Policy(linesep="\r\n")
#: For a non-ASCII address, on a server offering SMTPUTF8 (headers in UTF-8, RFC 6532).
UTF8_POLICY = POLICY.clone(utf8=True)


class Envelope(msgspec.Struct, frozen=True, kw_only=True):
    """What one message needs besides its content."""

    from_address: str
    from_name: str | None
    to: str
    reply_to: str | None
    list_id: str
    unsubscribe_url: str
    unsubscribe_mailto: str | None
    message_id: str
    date: datetime


def message_id(key: str, domain: str) -> str:
    """``<key@domain>``: the recipient's send key, so a bounce or lookup finds the send.

    A key holding characters a Message-ID can't is hex-encoded instead.
    """
    left = key if _ID_TEXT.match(key) else "x" + key.encode("utf-8").hex()[:126]
    return f"<{left}@{domain}>"


def compose(envelope: Envelope, content: Content, *, utf8: bool = False) -> EmailMessage:
    """The message for one recipient.

    ``text`` and ``html`` both given make ``multipart/alternative`` (plain first, as
    RFC 2046 asks: the last part is the preferred one); either alone is a single part.

    Raises:
        ValueError: ``content`` has neither text nor html.
    """
    if not content.text and not content.html:
        raise ValueError("the message has neither text nor html")
    msg = EmailMessage(policy=UTF8_POLICY if utf8 else POLICY)
    msg["From"] = Address(display_name=envelope.from_name or "", addr_spec=envelope.from_address)
    msg["To"] = envelope.to
    if content.subject:
        msg["Subject"] = content.subject
    msg["Date"] = format_datetime(envelope.date)
    msg["Message-ID"] = envelope.message_id
    if envelope.reply_to:
        msg["Reply-To"] = envelope.reply_to
    msg["List-Id"] = f"<{envelope.list_id}>"
    uris = [f"<{envelope.unsubscribe_url}>"]
    if envelope.unsubscribe_mailto:
        uris.append(f"<mailto:{envelope.unsubscribe_mailto}?subject=unsubscribe>")
    msg["List-Unsubscribe"] = ", ".join(uris)
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    body: dict[str, Any] = {"charset": "utf-8", "cte": "quoted-printable"}
    if content.text:
        msg.set_content(_lines(content.text), **body)
        if content.html:
            msg.add_alternative(_lines(content.html), subtype="html", **body)
            for part in msg.iter_parts():
                # add_alternative copies MIME-Version into the parts; it belongs on top.
                del part["MIME-Version"]
    else:
        msg.set_content(_lines(content.html or ""), subtype="html", **body)
    return msg


def _lines(text: str) -> str:
    # One line ending convention in, CRLF out (the policy's), and a final newline.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") else text + "\n"
