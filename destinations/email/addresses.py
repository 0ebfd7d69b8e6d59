"""Recipient addresses: checked before anything is sent, and put in wire form.

The hub hands over addresses normalized (trimmed, lower-cased) but not validated; what
can't be an address is rejected here with a reason instead of costing an SMTP round
trip. Internationalized domains go out as IDNA (``xn--``); a non-ASCII local part
needs the server's SMTPUTF8.
"""

from __future__ import annotations

import re

import msgspec

__all__ = ["Address", "InvalidAddress", "parse_address"]

#: Characters never valid in an address we send to (whitespace, controls, brackets).
_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f<>()\[\]\\,;:\"]")
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class InvalidAddress(ValueError):
    """The text is not an address mail can be sent to."""


class Address(msgspec.Struct, frozen=True):
    """An address ready for ``RCPT TO`` and the ``To`` header."""

    wire: str
    #: The local part is not ASCII: only deliverable through an SMTPUTF8 server.
    utf8: bool


def parse_address(raw: str) -> Address:
    """``raw`` checked and in wire form.

    Raises:
        InvalidAddress: with what is wrong with it.
    """
    text = raw.strip()
    if _FORBIDDEN.search(text):
        raise InvalidAddress(f"{_shown(text)} holds characters an e-mail address can't")
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise InvalidAddress(f"{_shown(text)} is not an e-mail address (local@domain)")
    if "@" in local or local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidAddress(f"{_shown(text)} has a malformed local part")
    if len(local.encode("utf-8")) > 64:
        raise InvalidAddress(f"{_shown(text)} has a local part over 64 octets (RFC 5321)")
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidAddress(f"{_shown(text)} has a domain that is not a valid name") from None
    labels = ascii_domain.split(".")
    if len(ascii_domain) > 253 or len(labels) < 2 or not all(map(_DOMAIN_LABEL.match, labels)):
        raise InvalidAddress(f"{_shown(text)} has a domain that is not a valid host name")
    return Address(wire=f"{local}@{ascii_domain}", utf8=not local.isascii())


def _shown(text: str) -> str:
    # Reasons end up in dead letters and logs: enough to recognise it, not the address.
    local, _, domain = text.rpartition("@")
    if not local:
        return f"{text[:3]!r}…" if len(text) > 3 else repr(text)
    return repr(f"{local[:2]}…@{domain[:64]}")
