"""Passive replies: the XML a push is answered with when the account says something back.

WeChat shows the reply to the follower who triggered the push (a welcome message on
``subscribe``). When the push came encrypted, the reply goes back encrypted too, in
the envelope WeChat expects: ``Encrypt``, ``MsgSignature`` (over token, timestamp,
nonce and ``Encrypt``), ``TimeStamp`` and ``Nonce``.
"""

from __future__ import annotations

import secrets

from junction.sources.wechat_oa.crypto import MessageCrypto, sign

__all__ = ["encrypted_envelope", "text_reply"]


def _cdata(text: str) -> str:
    # "]]>" would end the section early: split it across two sections.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(*, to_openid: str, from_account: str, content: str, now: int) -> bytes:
    """A text reply to ``to_openid`` from the account (its ``gh_`` original id)."""
    return (
        f"<xml><ToUserName>{_cdata(to_openid)}</ToUserName>"
        f"<FromUserName>{_cdata(from_account)}</FromUserName>"
        f"<CreateTime>{now}</CreateTime>"
        f"<MsgType>{_cdata('text')}</MsgType>"
        f"<Content>{_cdata(content)}</Content></xml>"
    ).encode()


def encrypted_envelope(reply: bytes, *, crypto: MessageCrypto, token: str, now: int) -> bytes:
    """``reply`` encrypted and signed, as a safe-mode reply."""
    encrypted = crypto.encrypt(reply)
    nonce = str(secrets.randbelow(10**10))
    signature = sign(token, str(now), nonce, encrypted)
    return (
        f"<xml><Encrypt>{_cdata(encrypted)}</Encrypt>"
        f"<MsgSignature>{_cdata(signature)}</MsgSignature>"
        f"<TimeStamp>{now}</TimeStamp>"
        f"<Nonce>{_cdata(nonce)}</Nonce></xml>"
    ).encode()
