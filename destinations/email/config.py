"""The connection config of the ``email`` destination, and the per-sync options."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from junction.plugins import ConfigInvalid, Message, secret

__all__ = ["EmailConfig", "EmailOptions", "Security", "is_loopback", "options_of"]

#: An address as a config field takes it; the connector checks recipients more closely.
_ADDRESS = r"^[^\s@<>\"(),;:]{1,64}@[^\s@<>\"(),;:]+\.[^\s@<>\"(),;:]+$"
#: RFC 2919 list-id: a dot-atom with at least one dot, at most 255 characters.
_LIST_ID = r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)+$"
_PURPOSE = r"^[a-z][a-z0-9_]{0,39}$"


class Security(StrEnum):
    """How the SMTP connection is protected."""

    #: Connect in clear, then STARTTLS (RFC 3207) before anything else; port 587.
    STARTTLS = "starttls"
    #: TLS from the first byte ("implicit TLS", RFC 8314); port 465.
    TLS = "tls"
    #: No TLS at all: only for a relay on the same machine (see ``EmailConfig``).
    NONE = "none"


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP addresses (127.0.0.0/8, ::1)."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class EmailConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """The SMTP relay to submit to, who the mail is from, and how unsubscribing works."""

    host: Annotated[
        str,
        Meta(
            title="SMTP host",
            description="The submission server of your mail provider or relay.",
            pattern=r"^[A-Za-z0-9.:\[\]-]{1,253}$",
        ),
    ]
    from_address: Annotated[
        str,
        Meta(
            title="From address",
            description="The sender (also the envelope sender); its domain must be "
            "authenticated (SPF and DKIM) at the relay.",
            pattern=_ADDRESS,
        ),
    ]
    unsubscribe_secret: Annotated[
        str,
        secret(
            "Unsubscribe signing secret",
            "Signs unsubscribe links (HMAC-SHA256). Changing it breaks the links in mail "
            "already sent.",
        ),
        Meta(min_length=32),
    ]
    public_url: Annotated[
        str,
        Meta(
            title="Hub public URL",
            description="Where mailbox providers reach this hub over HTTPS; unsubscribe "
            "links point at <public_url>/hooks/email/unsubscribe.",
            pattern=r"^https://[^\s/?#]+(/[^\s?#]*)?$",
        ),
    ]
    list_id: Annotated[
        str,
        Meta(
            title="List-Id",
            description="Names the mailing in the List-Id header (RFC 2919), such as "
            "news.example.com; mailbox providers group and filter by it.",
            pattern=_LIST_ID,
            max_length=255,
        ),
    ]
    port: Annotated[
        int, Meta(title="Port", description="587 for starttls, 465 for tls.", ge=1, le=65535)
    ] = 587
    security: Annotated[
        Security,
        Meta(
            title="Security",
            description="starttls (port 587), tls (implicit, port 465) or none. none is "
            "refused unless host is localhost: the password and every recipient's "
            "address would cross the network in clear.",
        ),
    ] = Security.STARTTLS
    username: Annotated[
        Annotated[str, Meta(min_length=1, max_length=256)] | None,
        Meta(
            title="Username", description="For SMTP AUTH; leave empty for a relay that needs none."
        ),
    ] = None
    password: Annotated[
        str, secret("Password", "For SMTP AUTH (with username), sent only after TLS is up.")
    ] = ""
    from_name: Annotated[
        Annotated[str, Meta(min_length=1, max_length=128)] | None,
        Meta(title="From name", description="The display name shown with the address."),
    ] = None
    reply_to: Annotated[
        Annotated[str, Meta(pattern=_ADDRESS)] | None,
        Meta(title="Reply-To", description="Where replies go, if not the From address."),
    ] = None
    unsubscribe_mailto: Annotated[
        Annotated[str, Meta(pattern=_ADDRESS)] | None,
        Meta(
            title="Unsubscribe mailbox",
            description="Also offered in List-Unsubscribe as a mailto: URI, for mail "
            "clients without one-click support. Junction does not read this mailbox.",
        ),
    ] = None
    unsubscribe_purpose: Annotated[
        str,
        Meta(
            title="Unsubscribe purpose",
            description="The consent purpose an unsubscribe withdraws (a sync may set "
            "options.unsubscribe_purpose).",
            pattern=_PURPOSE,
        ),
    ] = "email"
    unsubscribe_link_days: Annotated[
        int,
        Meta(
            title="Unsubscribe link validity (days)",
            description="How long a link works after the mail was sent; at least 30 "
            "(CAN-SPAM asks for 30 days).",
            ge=30,
            le=3650,
        ),
    ] = 365
    messages_per_second: Annotated[
        float,
        Meta(
            title="Messages per second",
            description="At most this many messages per second on one SMTP session.",
            gt=0,
            le=1000,
        ),
    ] = 10.0
    ca_file: Annotated[
        Annotated[str, Meta(min_length=1)] | None,
        Meta(
            title="CA certificates file",
            description="A PEM file of certificates to trust instead of the system's, "
            "for a relay with a private CA.",
        ),
    ] = None
    timeout_seconds: Annotated[
        float,
        Meta(
            title="Timeout (s)", description="For connecting and for each SMTP reply.", gt=0, le=300
        ),
    ] = 30.0

    def __post_init__(self) -> None:
        if self.security is Security.NONE and not is_loopback(self.host):
            raise ValueError(
                f"security 'none' is only allowed for a relay on this machine (localhost), "
                f"not {self.host!r}: use starttls or tls so the password and the "
                "recipients' addresses are not sent in clear"
            )
        if (self.username is None) != (not self.password):
            raise ValueError("username and password go together: set both or neither")

    @property
    def authenticates(self) -> bool:
        """Whether the session logs in (AUTH) with username and password."""
        return self.username is not None and bool(self.password)

    @property
    def link_validity(self) -> timedelta:
        """How long an unsubscribe link works after the mail was sent."""
        return timedelta(days=self.unsubscribe_link_days)

    @property
    def domain(self) -> str:
        """The From address's domain, used in Message-IDs."""
        return self.from_address.rpartition("@")[2].lower()


class EmailOptions(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """``message.options`` of a sync sending through ``email``."""

    #: The consent purpose this sync's unsubscribe links withdraw (default: the config's).
    unsubscribe_purpose: Annotated[str, Meta(pattern=_PURPOSE)] | None = None
    #: Overrides the connection's Reply-To for this sync.
    reply_to: Annotated[str, Meta(pattern=_ADDRESS)] | None = None


def options_of(message: Message) -> EmailOptions:
    """The sync's options, checked.

    Raises:
        ConfigInvalid: an option is unknown or malformed.
    """
    raw: dict[str, Any] = dict(message.options)
    try:
        return msgspec.convert(raw, EmailOptions)
    except msgspec.ValidationError as exc:
        raise ConfigInvalid(f"message options: {exc}", field="options") from None
