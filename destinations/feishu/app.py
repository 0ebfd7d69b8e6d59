"""App messages: a tenant access token, then ``im/v1/messages``, one recipient a call.

The token lives in ``ctx.tokens`` (one per connection, shared by every worker). When
Feishu says it is invalid or missing (99991663, 99991661), the call did nothing, so
the token is refetched (``stale=``) and the call made once more.
"""

from __future__ import annotations

from typing import Any

import httpx

from junction.destinations.feishu.codes import Verdict, describe, verdict
from junction.destinations.feishu.config import FeishuConfig
from junction.destinations.feishu.wire import Reply, exchange
from junction.plugins import (
    AccessToken,
    AuthFailed,
    ConfigInvalid,
    ConnectorContext,
    RateLimited,
    Retryable,
)

__all__ = ["TOKEN_KEY", "FeishuApp"]

#: The tenant access token in ``ctx.tokens``, per app: a connection edited to point at
#: another app must not reuse the previous app's token.
TOKEN_KEY = "tenant_access_token:{app_id}"
TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
SEND_PATH = "/open-apis/im/v1/messages"


class FeishuApp:
    """Calls of one operation on behalf of the configured self-built app."""

    def __init__(self, ctx: ConnectorContext[FeishuConfig], client: httpx.AsyncClient) -> None:
        if not ctx.config.has_app:
            raise ConfigInvalid(
                "this Feishu connection has no app: set app_id and app_secret to send app messages",
                field="app_id",
            )
        self.ctx = ctx
        self.client = client
        self.token_key = TOKEN_KEY.format(app_id=ctx.config.app_id)

    async def token(self, *, stale: str | None = None) -> str:
        """The shared tenant access token, fetched only when there is none valid."""
        return await self.ctx.tokens.get(self.token_key, self._fetch, stale=stale)

    async def _fetch(self) -> AccessToken:
        config = self.ctx.config
        credentials = {"app_id": config.app_id, "app_secret": config.app_secret}
        reply = await exchange(
            self.client, TOKEN_PATH, credentials, what="tenant_access_token", delivers=False
        )
        found = verdict(reply.code, reply.msg)
        if found is Verdict.OK and reply.tenant_access_token and reply.expire > 0:
            return AccessToken(value=reply.tenant_access_token, expires_in=reply.expire)
        what, code = describe(reply.code, reply.msg), str(reply.code)
        if found is Verdict.OK:
            raise Retryable("Feishu's token answer carried no tenant_access_token")
        if found is Verdict.THROTTLED:
            raise RateLimited(f"tenant_access_token is throttled ({what})", code=code)
        if found is Verdict.BUSY:
            raise Retryable(f"Feishu failed internally ({what})", code=code)
        # Feishu documents no code list for this call: whatever else it refuses is the
        # app_id / app_secret pair.
        raise AuthFailed(
            f"Feishu refused the app's credentials ({what}): check app_id and app_secret",
            code=code,
        )

    async def send(self, receive_id_type: str, body: dict[str, Any]) -> Reply:
        """POST one message; Feishu's reply, token errors handled here.

        Raises:
            AuthFailed: a freshly fetched token is refused too, or the credentials are.
            RateLimited: HTTP 429.
            Retryable: nothing reached Feishu.
            OutcomeUnknown: the message went out and no answer came back.
        """
        token = await self.token()
        reply = await self._post(token, receive_id_type, body)
        if verdict(reply.code, reply.msg) is Verdict.TOKEN:
            token = await self.token(stale=token)
            reply = await self._post(token, receive_id_type, body)
            if verdict(reply.code, reply.msg) is Verdict.TOKEN:
                raise AuthFailed(
                    "Feishu refused a freshly fetched tenant access token "
                    f"({describe(reply.code, reply.msg)})",
                    code=str(reply.code),
                )
        return reply

    async def _post(self, token: str, receive_id_type: str, body: dict[str, Any]) -> Reply:
        return await exchange(
            self.client,
            SEND_PATH,
            body,
            what="im/v1/messages",
            delivers=True,
            params={"receive_id_type": receive_id_type},
            headers={"Authorization": f"Bearer {token}"},
        )
