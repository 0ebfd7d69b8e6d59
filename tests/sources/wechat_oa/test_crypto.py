"""Signatures and safe-mode encryption: the spec's vectors, and the fake against the plugin."""

from __future__ import annotations

import base64

import pytest

from junction.sources.wechat_oa.crypto import (
    CryptoError,
    MessageCrypto,
    sign,
    signature_matches,
)
from tests.fakes.wechat_oa import WechatCipher, wechat_signature

from .conftest import AES_KEY, APP_ID

# wechatpy's tests/test_crypto.py vector (recomputed in the platform spec).
VECTOR_TOKEN = "123456"
VECTOR_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
VECTOR_ID = "wx49f0ab532d5d035a"
VECTOR_ENCRYPT = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHC"
    "rsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpX"
    "aG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQi"
    "MS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQi"
    "pvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
)


@pytest.mark.parametrize(
    ("token", "timestamp", "nonce", "expected"),
    [
        ("AAAAA", "1714037059", "486452656", "899cf89e464efb63f54ddac96b0a0a235f53aa78"),
        ("test", "1410685589", "test", "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff"),
    ],
)
def test_url_signature_matches_published_vectors(
    token: str, timestamp: str, nonce: str, expected: str
) -> None:
    assert sign(token, timestamp, nonce) == expected
    assert signature_matches(expected.upper(), token, timestamp, nonce)
    assert not signature_matches(expected, token, timestamp, nonce + "1")


def test_safe_mode_vector_verifies_and_decrypts() -> None:
    assert (
        sign(VECTOR_TOKEN, "1411525903", "461056294", VECTOR_ENCRYPT)
        == "74d92dfeb87ba7c714f89d98870ae5eb62dff26d"
    )
    message = MessageCrypto(VECTOR_KEY, VECTOR_ID).decrypt(VECTOR_ENCRYPT)
    assert b"<FromUserName><![CDATA[messense]]></FromUserName>" in message
    assert b"<Content><![CDATA[test]]></Content>" in message
    assert b"<MsgId>4363689963896700987</MsgId>" in message


def test_echostr_vector_decrypts() -> None:
    echostr = (
        "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="
    )
    assert (
        sign(VECTOR_TOKEN, "1411443780", "437374425", echostr)
        == "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96"
    )
    assert MessageCrypto(VECTOR_KEY, VECTOR_ID).decrypt(echostr) == b"5927782489442352469"


def test_the_vector_is_refused_for_another_app_id() -> None:
    with pytest.raises(CryptoError, match="another app id"):
        MessageCrypto(VECTOR_KEY, APP_ID).decrypt(VECTOR_ENCRYPT)


@pytest.mark.parametrize("size", [0, 1, 11, 12, 43, 44, 1000])
def test_fake_encrypts_and_plugin_decrypts(size: int) -> None:
    # Sizes around the 32-byte padding boundary (16 + 4 + size + 18 bytes of app id).
    message = ("微" * size).encode()[:size] if size else b""
    encrypted = WechatCipher(AES_KEY, APP_ID).encrypt(message)
    assert MessageCrypto(AES_KEY, APP_ID).decrypt(encrypted) == message


def test_plugin_encrypts_and_fake_decrypts() -> None:
    message = "<xml><Content><![CDATA[欢迎关注]]></Content></xml>".encode()
    encrypted = MessageCrypto(AES_KEY, APP_ID).encrypt(message)
    assert WechatCipher(AES_KEY, APP_ID).decrypt(encrypted) == (message, APP_ID)
    # Fresh random bytes each time; fixed ones give the fake's exact cipher text.
    assert MessageCrypto(AES_KEY, APP_ID).encrypt(message) != encrypted
    fixed = bytes(range(16))
    assert MessageCrypto(AES_KEY, APP_ID).encrypt(message, random=fixed) == WechatCipher(
        AES_KEY, APP_ID
    ).encrypt(message, fixed)


def test_signatures_agree_with_the_fake() -> None:
    parts = ("tok", "1714037059", "123", "Encrypted==")
    assert sign(*parts) == wechat_signature(*reversed(parts))


@pytest.mark.parametrize(
    ("encrypted", "problem"),
    [
        ("not base64!", "not valid base64"),
        (base64.b64encode(b"x" * 15).decode(), "whole number of AES blocks"),
        (WechatCipher("Z" * 43, APP_ID).encrypt(b"<xml/>"), "EncodingAESKey"),
    ],
)
def test_corrupt_or_foreign_cipher_text_is_refused(encrypted: str, problem: str) -> None:
    with pytest.raises(CryptoError, match=problem):
        MessageCrypto(AES_KEY, APP_ID).decrypt(encrypted)


def test_a_malformed_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(CryptoError) as caught:
        MessageCrypto("short-key", APP_ID)
    assert "short-key" not in str(caught.value)
