"""The custom bot's signature, as Feishu's guide documents it."""

from __future__ import annotations

import base64
import hashlib
import hmac

from junction.destinations.feishu import sign

from ...fakes.feishu import feishu_sign


def test_the_spec_worked_example() -> None:
    # shared/platforms/feishu.md §1.1: timestamp 1599360473, secret demo-secret.
    assert sign(1599360473, "demo-secret") == "3/MaVZ8JLIy4TUG+7KSFJqvUkTKd+HWY8g+56DZWq8s="


def test_the_key_is_timestamp_newline_secret_and_the_message_empty() -> None:
    expected = hmac.new(b"1700000000\nabc", b"", hashlib.sha256).digest()
    assert base64.b64decode(sign(1700000000, "abc")) == expected


def test_the_dingtalk_arrangement_would_differ() -> None:
    # Secret as key, "timestamp\nsecret" as message: the common mistake behind 19021.
    wrong = hmac.new(b"abc", b"1700000000\nabc", hashlib.sha256).digest()
    assert sign(1700000000, "abc") != base64.b64encode(wrong).decode()


def test_the_fake_verifies_with_the_same_computation() -> None:
    assert sign(1700000001, "s3cret") == feishu_sign("1700000001", "s3cret")
