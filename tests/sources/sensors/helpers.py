"""Helpers shared by the Sensors tests: SDK-style encoding, URLs, stored rows."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select

from junction.core.db import Database
from junction.core.db.tables import Event as EventRow
from junction.core.db.tables import Identity
from junction.core.identity import Resolver
from junction.core.secrets import SecretBox

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT = "shop"


def encode(records: Any, *, field: str = "data", gzipped: bool = True) -> dict[str, str]:
    """Form fields as the server SDKs build them: base64 of (gzip of) compact JSON."""
    text = json.dumps(records, separators=(",", ":"), ensure_ascii=False).encode()
    body = gzip.compress(text) if gzipped else text
    fields = {field: base64.b64encode(body).decode()}
    if gzipped:
        fields["gzip"] = "1"
    return fields


def sa_url(key: str, project: str = PROJECT, path: str = "/hooks/sensors/sa") -> str:
    return f"{path}?{urlencode({'project': project, 'token': key})}"


class Stored:
    """Reads back what the hub stored, and runs ID-mapping on it."""

    def __init__(self, db: Database, box: SecretBox) -> None:
        self.db = db
        self.box = box

    async def events(self) -> list[EventRow]:
        async with self.db.sessions() as session:
            return list((await session.scalars(select(EventRow).order_by(EventRow.id))).all())

    async def resolve(self) -> list[EventRow]:
        await Resolver(self.db, self.box).resolve_all()
        return await self.events()

    async def resolved(self, within: float = 10.0) -> list[EventRow]:
        """The events once a running hub's worker has mapped them all to profiles."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            rows = await self.events()
            if rows and all(row.resolution == 1 for row in rows):
                return rows
            assert asyncio.get_running_loop().time() < deadline, "ID-mapping did not finish"
            await asyncio.sleep(0.05)

    async def identities(self) -> list[Identity]:
        async with self.db.sessions() as session:
            return list((await session.scalars(select(Identity).order_by(Identity.id))).all())
