"""Application messages: an access token from ``gettoken``, then ``message/send``.

The token lives in ``ctx.tokens`` (one per connection, shared by every worker). When
WeCom says it is invalid, expired or missing (40014, 42001, 41001) the call did
nothing, so the token is refetched (``stale=``) and the call made once more.
"""

from __future__ import annotations

from typing import Any

import httpx

from junction.destinations.wecom.codes import HINTS, THROTTLE_WAIT, Verdict, describe, verdict
from junction.destinations.wecom.config import WeComConfig
from junction.destinations.wecom.wire import Reply, exchange
from junction.plugins import (
    AccessToken,
    AuthFailed,
    ConfigInvalid,
    ConnectorContext,
    PermanentFailure,
    RateLimited,
    Retryable,
)

__all__ = ["TOKEN_KEY", "WeComApp"]

#: The application's access token in ``ctx.tokens``, per corp and app: a connection
#: edited to point at another app must not reuse the previous app's token.
TOKEN_KEY = "access_token:{corp_id}:{agent_id}"
TOKEN_PATH = "/cgi-bin/gettoken"
SEND_PATH = "/cgi-bin/message/send"


class WeComApp:
    """Calls of one operation on behalf of the configured application."""

    def __init__(self, ctx: ConnectorContext[WeComConfig], client: httpx.AsyncClient) -> None:
        config = ctx.config
        if not config.has_app:
            raise ConfigInvalid(
                "this WeCom connection has no application: set corp_id, corp_secret and "
                "agent_id to send app messages",
                field="corp_id",
            )
        self.ctx = ctx
        self.client = client
        self.agent_id = config.agent_id
        self.token_key = TOKEN_KEY.format(corp_id=config.corp_id, agent_id=config.agent_id)

    async def token(self, *, stale: str | None = None) -> str:
        """The shared access token, fetched only when there is none valid."""
        return await self.ctx.tokens.get(self.token_key, self._fetch, stale=stale)

    async def _fetch(self) -> AccessToken:
        config = self.ctx.config
        params = {"corpid": config.corp_id, "corpsecret": config.corp_secret}
        reply = await exchange(self.client, "GET", TOKEN_PATH, params=params, delivers=False)
        found = verdict(reply.errcode)
        if found is Verdict.OK and reply.access_token and reply.expires_in > 0:
            return AccessToken(value=reply.access_token, expires_in=reply.expires_in)
        what = describe(reply.errcode, reply.errmsg)
        code = str(reply.errcode)
        if found is Verdict.OK:
            raise Retryable("WeCom's gettoken answer carried no access_token")
        if found is Verdict.AUTH:
            hint = HINTS.get(reply.errcode, "check corp_id and corp_secret")
            raise AuthFailed(f"WeCom refused the application's credentials: {hint}", code=code)
        if found is Verdict.THROTTLED:
            raise RateLimited(
                f"gettoken is throttled ({what})", retry_after=THROTTLE_WAIT, code=code
            )
        if found is Verdict.BUSY:
            raise Retryable(f"WeCom is busy ({what})", code=code)
        raise PermanentFailure(f"WeCom refused gettoken ({what})", code=code)

    async def send(self, body: dict[str, Any]) -> Reply:
        """POST ``message/send`` with ``body`` (agentid added); WeCom's reply.

        Token errors are handled here; every other errcode is the caller's to judge.

        Raises:
            AuthFailed: the token is refused even when freshly fetched, or gettoken
                refused the credentials.
            Retryable / RateLimited: from gettoken, or nothing reached WeCom.
            OutcomeUnknown: the message went out and no answer came back.
        """
        payload = {**body, "agentid": self.agent_id}
        token = await self.token()
        reply = await self._post(token, payload)
        if verdict(reply.errcode) is Verdict.TOKEN:
            token = await self.token(stale=token)
            reply = await self._post(token, payload)
            if verdict(reply.errcode) is Verdict.TOKEN:
                raise AuthFailed(
                    f"WeCom refused a freshly fetched access token "
                    f"({describe(reply.errcode, reply.errmsg)})",
                    code=str(reply.errcode),
                )
        return reply

    async def _post(self, token: str, payload: dict[str, Any]) -> Reply:
        params = {"access_token": token}
        return await exchange(
            self.client, "POST", SEND_PATH, params=params, body=payload, delivers=True
        )
