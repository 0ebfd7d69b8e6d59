"""A commit that fails answers 503, and nothing of the request is stored or counted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from junction.core.db import Database
from junction.core.ingest import GroupCommitWriter
from junction.plugins.receiver import IngestResult


def track(message_id: str) -> dict[str, Any]:
    return {"type": "track", "userId": "u1", "event": "Viewed", "messageId": message_id}


class FailingWriter(GroupCommitWriter):
    """Writes each group, then loses the connection before the commit."""

    async def _write(self, conn: AsyncConnection, group: Sequence[Any]) -> list[IngestResult]:
        await super()._write(conn, group)
        raise OperationalError("COMMIT", {}, ConnectionResetError("server closed the connection"))


@pytest.fixture
def writer(db: Database) -> GroupCommitWriter:
    return FailingWriter(db, max_delay=0.01)


async def test_a_failed_commit_is_503_and_nothing_is_stored(
    client: httpx.AsyncClient, auth: dict[str, str], stored: Any
) -> None:
    response = await client.post(
        "/v1/batch", json={"batch": [track("a"), track("b")]}, headers=auth
    )
    assert response.status_code == 503
    body = response.json()["error"]
    assert body["code"] == "unavailable"
    assert "none of them was" in body["message"]
    assert "server closed" not in response.text
    assert response.headers["retry-after"] == "1"
    assert await stored.events() == []
    assert await stored.counters() == {}
