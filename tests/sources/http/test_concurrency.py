"""Concurrent requests share commits, and each is answered after the one holding it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from junction.core.ingest import GroupCommitWriter

CALLS = {"track": {"userId": "u1", "event": "Signed Up"}}


@pytest.fixture
def writer(db: Any) -> GroupCommitWriter:
    # A longer window than production, so concurrent requests reliably share commits.
    return GroupCommitWriter(db, max_delay=0.1)


async def test_concurrent_requests_are_stored_once_in_fewer_commits(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    stored: Any,
    writer: GroupCommitWriter,
) -> None:
    requests = [
        client.post(
            "/v1/batch",
            json={"batch": [{"type": "track", **CALLS["track"], "messageId": f"m{i % 30}"}]},
            headers=auth,
        )
        for i in range(60)
    ]
    responses = await asyncio.gather(*requests)
    assert {response.status_code for response in responses} == {200}
    assert len(await stored.events()) == 30
    assert await stored.counters() == {"accepted": 30, "duplicates": 30}
    assert writer.submissions == 60
    assert writer.commits < 60
