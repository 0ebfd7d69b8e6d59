"""Running the hub app in the test's event loop, and sending it what WeChat sends."""

from __future__ import annotations

import asyncio

import httpx
from litestar import Litestar

from tests.fakes.wechat_oa import SignedRequest


class running:
    """The app's lifespan, run in a task of its own (it must end where it began)."""

    def __init__(self, app: Litestar) -> None:
        self.app = app
        self.stopping = asyncio.Event()

    async def __aenter__(self) -> None:
        started = asyncio.Event()

        async def lifespan() -> None:
            async with self.app.lifespan():
                started.set()
                await self.stopping.wait()

        self.task = asyncio.create_task(lifespan())
        ready = asyncio.create_task(started.wait())
        await asyncio.wait([self.task, ready], return_when=asyncio.FIRST_COMPLETED)
        if self.task.done():
            ready.cancel()
            self.task.result()

    async def __aexit__(self, *exc: object) -> None:
        self.stopping.set()
        await self.task


async def send(client: httpx.AsyncClient, request: SignedRequest) -> httpx.Response:
    return await client.post(
        request.url, content=request.body, headers={"Content-Type": "text/xml"}
    )
