"""`Database`: one engine and its session factory, owned by whoever runs the hub."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from junction.core.db.engine import create_engine, create_sessionmaker
from junction.core.db.migrate import current_revision, head_revision
from junction.core.errors import ConfigError


class Database:
    """The hub's database. Create it with :meth:`open`; close it with :meth:`close`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions: async_sessionmaker[AsyncSession] = create_sessionmaker(engine)

    @classmethod
    def open(cls, url: str) -> Database:
        return cls(create_engine(url))

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    async def require_current_schema(self) -> None:
        """Refuse to run against a database that is behind (or ahead of) this version.

        Raises:
            ConfigError: the schema is not at this version's head revision.
        """
        current, head = await current_revision(self.engine), head_revision()
        if current != head:
            raise ConfigError(
                f"the database schema is at revision {current or 'none'}, this version of "
                f"Junction needs {head}: run `junction migrate`"
            )

    async def close(self) -> None:
        await self.engine.dispose()
