"""The config's rules, and unsubscribe tokens: signed, verified, expiring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from junction.destinations.email import EmailConfig
from junction.destinations.email.addresses import InvalidAddress, parse_address
from junction.destinations.email.tokens import (
    TokenError,
    TokenExpired,
    TokenForged,
    peek,
    sign,
    verify,
)

SECRET = "unsub-secret-0123456789abcdef-0123456789"
BASE: dict[str, Any] = {
    "host": "smtp.shop.example",
    "from_address": "news@shop.example",
    "unsubscribe_secret": SECRET,
    "public_url": "https://hub.shop.example",
    "list_id": "news.shop.example",
}


def config(**overrides: Any) -> EmailConfig:
    return msgspec.convert(BASE | overrides, EmailConfig)


def test_defaults_are_submission_over_starttls() -> None:
    found = config()
    assert (found.port, found.security.value, found.unsubscribe_purpose) == (
        587,
        "starttls",
        "email",
    )
    assert found.link_validity == timedelta(days=365)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_no_tls_is_allowed_for_a_local_relay(host: str) -> None:
    assert config(host=host, security="none", port=25).security.value == "none"


def test_no_tls_to_a_remote_server_is_refused_with_the_reason() -> None:
    with pytest.raises(msgspec.ValidationError, match="only allowed for a relay on this machine"):
        config(security="none")


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"username": "u"}, "username and password go together"),
        ({"public_url": "http://hub.shop.example"}, "public_url"),
        ({"list_id": "news"}, "list_id"),
        ({"unsubscribe_secret": "short"}, "unsubscribe_secret"),
        ({"from_address": "not an address"}, "from_address"),
        ({"unsubscribe_link_days": 7}, "unsubscribe_link_days"),
    ],
)
def test_bad_fields_are_refused_by_name(overrides: dict[str, Any], problem: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=problem):
        config(**overrides)


NOW = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)


def token(**claims: Any) -> str:
    values = {"connection": "newsletter", "email": "ada@example.org", "purpose": "email"}
    return sign(SECRET, issued_at=claims.pop("issued_at", NOW), **(values | claims))


def test_a_token_verifies_and_says_who_and_what() -> None:
    claims = verify(SECRET, token(), now=NOW + timedelta(days=30), max_age=timedelta(days=365))
    assert (claims.connection, claims.email, claims.purpose) == (
        "newsletter",
        "ada@example.org",
        "email",
    )
    assert claims.issued_at == int(NOW.timestamp())


def test_a_token_under_another_secret_or_altered_is_forged() -> None:
    with pytest.raises(TokenForged):
        verify("another-secret-" + SECRET, token(), now=NOW, max_age=timedelta(days=1))
    payload, mac = token().split(".")
    other_payload = token(email="eve@example.org").split(".")[0]
    with pytest.raises(TokenForged):
        verify(SECRET, f"{other_payload}.{mac}", now=NOW, max_age=timedelta(days=1))
    assert peek(f"{payload}.{mac}").email == "ada@example.org"


def test_an_old_token_expires() -> None:
    old = token(issued_at=NOW - timedelta(days=400))
    with pytest.raises(TokenExpired, match="expired 35 days ago"):
        verify(SECRET, old, now=NOW, max_age=timedelta(days=365))


@pytest.mark.parametrize("bad", ["", "abc", "a.b.c", "!!!.???", "e30.AAAA", "x" * 3000])
def test_malformed_tokens_are_token_errors(bad: str) -> None:
    with pytest.raises(TokenError):
        verify(SECRET, bad, now=NOW, max_age=timedelta(days=1))


@pytest.mark.parametrize(
    ("raw", "wire", "utf8"),
    [
        (" Ada@Example.ORG ", "Ada@example.org", False),
        ("ada+news@bücher.example", "ada+news@xn--bcher-kva.example", False),
        ("张三@example.cn", "张三@example.cn", True),
    ],
)
def test_addresses_in_wire_form(raw: str, wire: str, utf8: bool) -> None:
    address = parse_address(raw)
    assert (address.wire, address.utf8) == (wire, utf8)


@pytest.mark.parametrize(
    "raw", ["", "ada", "@example.org", "ada@", "a..b@example.org", "ada@localhost", "a@b@c.org"]
)
def test_bad_addresses_are_refused(raw: str) -> None:
    with pytest.raises(InvalidAddress):
        parse_address(raw)
