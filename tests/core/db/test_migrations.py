"""The migration chain builds exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from junction.core.db import create_engine
from junction.core.db.migrate import current_revision, head_revision, upgrade_async
from junction.core.db.tables import Base


async def _schema_diff(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
                )
            )
    finally:
        await engine.dispose()


async def test_migrated_schema_equals_the_models(empty_database_url: str) -> None:
    await upgrade_async(empty_database_url)
    assert await _schema_diff(empty_database_url) == []


async def test_migrate_is_idempotent_and_reaches_head(empty_database_url: str) -> None:
    await upgrade_async(empty_database_url)
    await upgrade_async(empty_database_url)
    engine = create_engine(empty_database_url)
    try:
        assert await current_revision(engine) == head_revision()
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    finally:
        await engine.dispose()
    assert set(Base.metadata.tables) <= tables


async def test_every_revision_downgrades_cleanly(empty_database_url: str) -> None:
    from junction.core.db.migrate import alembic_config

    await upgrade_async(empty_database_url)
    import asyncio

    from alembic import command

    await asyncio.to_thread(command.downgrade, alembic_config(empty_database_url), "base")
    engine = create_engine(empty_database_url)
    try:
        assert await current_revision(engine) is None
    finally:
        await engine.dispose()
    await upgrade_async(empty_database_url)
    assert await _schema_diff(empty_database_url) == []
