"""The built-in ``wechat_oa`` source: a WeChat official account (微信公众号).

Registered through the public plugin API only, like any third-party plugin: the
connector (``register_connectors``) pulls followers; its callback route
(``register_routes``) receives the account's pushes and stores them through the
injected ``ingest`` dependency.
"""

from __future__ import annotations

from typing import Any

from junction.plugins import hookimpl
from junction.sources.wechat_oa.config import MessageMode, WechatOaConfig
from junction.sources.wechat_oa.connector import WechatOaSource
from junction.sources.wechat_oa.routes import ROUTES

__all__ = ["MessageMode", "WechatOaConfig", "WechatOaSource"]


@hookimpl
def register_connectors() -> list[type[Any]]:
    """The ``wechat_oa`` source connector."""
    return [WechatOaSource]


@hookimpl
def register_routes() -> list[Any]:
    """GET/POST /hooks/wechat_oa/{connection}: WeChat's URL verification and pushes."""
    return list(ROUTES)
