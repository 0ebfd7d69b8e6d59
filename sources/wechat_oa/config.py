"""The ``wechat_oa`` connection's config: the account's credentials and callback settings.

Decoding checks each field's shape and the one rule across fields: an encrypted
message mode needs the EncodingAESKey it decrypts with.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import msgspec
from msgspec import Meta

from junction.plugins import secret

__all__ = ["DEFAULT_API_BASE_URL", "Language", "MessageMode", "WechatOaConfig"]

DEFAULT_API_BASE_URL = "https://api.weixin.qq.com"


class MessageMode(StrEnum):
    """The console's "message encryption mode" (消息加解密方式)."""

    #: 明文模式: pushes are plain XML signed with ``signature``.
    PLAINTEXT = "plaintext"
    #: 兼容模式: pushes carry both the plain XML and ``Encrypt``; we verify the cipher.
    COMPATIBLE = "compatible"
    #: 安全模式: pushes carry only ``Encrypt``, signed with ``msg_signature``.
    SAFE = "safe"


class Language(StrEnum):
    """The ``lang`` user info is asked in (it names country / province in that language)."""

    ZH_CN = "zh_CN"
    ZH_TW = "zh_TW"
    EN = "en"


def _secret(title: str, description: str, pattern: str) -> Meta:
    # secret() marks the field write-only; the pattern is added here so a mistyped key
    # is refused when the connection is saved rather than at the first callback.
    meta = secret(title, description)
    return Meta(
        title=meta.title,
        description=meta.description,
        extra_json_schema=meta.extra_json_schema,
        pattern=pattern,
    )


class WechatOaConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """How to reach one official account and how it calls the hub back."""

    app_id: Annotated[
        str,
        Meta(
            title="AppID",
            description="The account's AppID (开发者ID), `wx` and 16 characters.",
            pattern=r"^wx[0-9A-Za-z]{16}$",
        ),
    ]
    app_secret: Annotated[
        str,
        _secret(
            "AppSecret",
            "The account's AppSecret (开发者密码); the hub's IP must be in the account's "
            "IP whitelist.",
            r"^[0-9A-Za-z]{8,64}$",
        ),
    ]
    callback_token: Annotated[
        str,
        _secret(
            "Callback token",
            "The Token set under 服务器配置; WeChat signs every callback with it.",
            r"^[0-9A-Za-z]{3,32}$",
        ),
    ]
    encoding_aes_key: Annotated[
        str,
        _secret(
            "EncodingAESKey",
            "The 43-character key of compatible and safe mode; empty in plaintext mode.",
            r"^([0-9A-Za-z]{43})?$",
        ),
    ] = ""
    previous_encoding_aes_key: Annotated[
        str,
        _secret(
            "Previous EncodingAESKey",
            "The key in use before the last change, tried when the current one fails, "
            "so callbacks keep flowing while WeChat switches over.",
            r"^([0-9A-Za-z]{43})?$",
        ),
    ] = ""
    message_mode: Annotated[
        MessageMode,
        Meta(
            title="Message mode",
            description="消息加解密方式 as set in the console: plaintext, compatible or safe.",
        ),
    ] = MessageMode.PLAINTEXT
    api_base_url: Annotated[
        str,
        Meta(
            title="API base URL",
            description="Where the WeChat API is served; change only for a proxy or a test.",
            pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        ),
    ] = DEFAULT_API_BASE_URL
    language: Annotated[
        Language,
        Meta(title="Language", description="The language follower details are fetched in."),
    ] = Language.ZH_CN
    subscribe_reply: Annotated[
        str,
        Meta(
            title="Welcome reply",
            description="Text sent back to whoever follows the account (a passive reply); "
            "empty sends none. WeChat caps a text reply at 2048 bytes.",
            max_length=600,
        ),
    ] = ""
    replay_window_seconds: Annotated[
        int,
        Meta(
            title="Replay window (seconds)",
            description="Callbacks whose timestamp is further from now are refused, and a "
            "nonce is accepted once within it.",
            ge=30,
            le=3600,
        ),
    ] = 300
    full_pull_every_hours: Annotated[
        int,
        Meta(
            title="Full pull every (hours)",
            description="A follower pull that finished less than this long ago is not "
            "started again; 0 starts a new pull on every run.",
            ge=0,
            le=24 * 30,
        ),
    ] = 24

    def __post_init__(self) -> None:
        if self.message_mode is not MessageMode.PLAINTEXT and not self.encoding_aes_key:
            raise ValueError(
                f"message_mode {self.message_mode.value!r} needs encoding_aes_key "
                "(the EncodingAESKey of the console's 服务器配置)"
            )
