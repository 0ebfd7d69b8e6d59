"""Stored segments: create, update, read, delete. Nothing is stored when invalid."""

from __future__ import annotations

import re
from typing import Any, Final

import msgspec
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core import audit
from junction.core.cron import check_cron
from junction.core.db import Database
from junction.core.db.tables import Segment, SegmentRun, TagRule
from junction.core.db.types import utcnow
from junction.core.errors import NotFoundError
from junction.core.model import ModelError
from junction.core.segments.catalog import load_catalog
from junction.core.segments.dsl import Condition, decode_condition, encode_condition
from junction.core.segments.errors import DefinitionError
from junction.core.segments.splits import Split, check_splits, new_salt
from junction.core.segments.validate import segment_refs, validate
from junction.core.segments.views import SegmentRunView, SegmentView

__all__ = [
    "create_segment",
    "delete_segment",
    "get_segment",
    "list_segments",
    "load_segment",
    "run_view",
    "update_segment",
]

NAME_PATTERN: Final = r"[a-z0-9][a-z0-9_-]{0,99}"
_NAME = re.compile(NAME_PATTERN)


def _check_name(name: str) -> None:
    if _NAME.fullmatch(name) is None:
        raise DefinitionError(
            "a segment name is 1-100 lower-case letters, digits, `_` and `-`", "$.name"
        )


def decode_under(raw: Any, path: str) -> Condition:
    """Decode a condition that sits at ``path`` of the caller's document."""
    try:
        return decode_condition(raw)
    except ModelError as exc:
        raise exc.under(path) from None


async def create_segment(
    db: Database,
    name: str,
    condition: Condition,
    *,
    actor: str,
    description: str = "",
    splits: list[Split] | None = None,
    salt: str | None = None,
    schedule: str | None = None,
) -> SegmentView:
    """Validate and store a new segment.

    ``salt`` fixes the variant hash (to reproduce an experiment's split elsewhere);
    by default a random one is drawn.

    Raises:
        DefinitionError: the name is malformed or taken, the condition is invalid
            (unknown trait, wrong type, cycle, ...) or the splits are; the path of
            a condition problem starts at ``$.condition``.
    """
    _check_name(name)
    splits = list(splits or [])
    check_splits(splits)
    schedule = check_schedule(schedule)
    async with db.transaction() as session:
        # The audit append writes first, which also takes SQLite's write lock before the
        # catalog is read: no other writer can slip a conflicting segment in between.
        await audit.append(
            session,
            actor=actor,
            action="segment.create",
            target=name,
            details={"condition": encode_condition(condition), "splits": _splits_json(splits)},
        )
        if await session.scalar(select(Segment.id).where(Segment.name == name)) is not None:
            raise DefinitionError(f"a segment named `{name}` already exists", "$.name")
        await _validate_in(session, condition, name)
        now = utcnow()
        row = Segment(
            name=name,
            description=description,
            condition=encode_condition(condition),
            splits=_splits_json(splits),
            salt=salt or new_salt(),
            schedule=schedule,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        await session.flush()
        return _view(row, None)


async def update_segment(
    db: Database,
    name: str,
    *,
    actor: str,
    condition: Condition | None = None,
    description: str | None = None,
    splits: list[Split] | None = None,
    schedule: str | None = None,
) -> SegmentView:
    """Change a segment's condition, description, splits or schedule (never its salt).

    ``schedule`` "" or "manual" stops scheduled recomputation; None leaves it.

    Raises:
        NotFoundError: no such segment.
        DefinitionError: the new condition or splits are invalid.
    """
    if splits is not None:
        check_splits(splits)
    new_schedule = check_schedule(schedule) if schedule is not None else None
    async with db.transaction() as session:
        await audit.append(
            session,
            actor=actor,
            action="segment.update",
            target=name,
            details={
                "condition": encode_condition(condition) if condition is not None else None,
                "splits": _splits_json(splits) if splits is not None else None,
            },
        )
        row = await load_segment(session, name)
        if condition is not None:
            await _validate_in(session, condition, name)
            row.condition = encode_condition(condition)
        if description is not None:
            row.description = description
        if splits is not None:
            row.splits = _splits_json(splits)
        if schedule is not None:
            row.schedule = new_schedule
        row.updated_at = utcnow()
        await session.flush()
        return _view(row, await _last_run(session, row))


async def delete_segment(db: Database, name: str, *, actor: str) -> None:
    """Delete a segment, its runs and its snapshot.

    Raises:
        NotFoundError: no such segment.
        DefinitionError: another segment or a tag rule refers to it.
    """
    async with db.transaction() as session:
        await audit.append(session, actor=actor, action="segment.delete", target=name)
        row = await load_segment(session, name)
        for other, raw in await session.execute(select(Segment.name, Segment.condition)):
            if other != name and any(ref == name for _, ref in segment_refs(decode_condition(raw))):
                raise DefinitionError(f"segment `{other}` refers to `{name}`", "$.name")
        for tag, raw in await session.execute(select(TagRule.tag, TagRule.condition)):
            if any(ref == name for _, ref in segment_refs(decode_condition(raw))):
                raise DefinitionError(f"the rule of tag `{tag}` refers to `{name}`", "$.name")
        await session.execute(delete(Segment).where(Segment.id == row.id))


async def list_segments(db: Database) -> list[SegmentView]:
    """Every segment with its latest run, by name."""
    async with db.sessions() as session:
        rows = (await session.scalars(select(Segment).order_by(Segment.name))).all()
        latest = (
            select(SegmentRun.segment_id, func.max(SegmentRun.id).label("run_id"))
            .group_by(SegmentRun.segment_id)
            .subquery()
        )
        runs = {
            run.segment_id: run
            for run in await session.scalars(
                select(SegmentRun).join(latest, latest.c.run_id == SegmentRun.id)
            )
        }
        return [_view(row, runs.get(row.id)) for row in rows]


async def get_segment(db: Database, name: str) -> SegmentView:
    """One segment with its latest run.

    Raises:
        NotFoundError: no such segment.
    """
    async with db.sessions() as session:
        row = await load_segment(session, name)
        return _view(row, await _last_run(session, row))


async def load_segment(session: AsyncSession, name: str) -> Segment:
    """The segment row named ``name``.

    Raises:
        NotFoundError: no such segment.
    """
    row = await session.scalar(select(Segment).where(Segment.name == name))
    if row is None:
        raise NotFoundError(f"no segment named `{name}`")
    return row


def run_view(run: SegmentRun, segment: str) -> SegmentRunView:
    return SegmentRunView(
        id=run.id,
        segment=segment,
        as_of=run.as_of,
        started_at=run.started_at,
        finished_at=run.finished_at,
        members=run.members,
        added=run.added,
        removed=run.removed,
        moved=run.moved,
    )


async def _validate_in(session: AsyncSession, condition: Condition, name: str) -> None:
    catalog = await load_catalog(session)
    try:
        validate(condition, catalog, name=name)
    except ModelError as exc:
        raise DefinitionError(exc.message, "$.condition" + exc.path.removeprefix("$")) from None


async def _last_run(session: AsyncSession, row: Segment) -> SegmentRun | None:
    return await session.scalar(
        select(SegmentRun)
        .where(SegmentRun.segment_id == row.id)
        .order_by(SegmentRun.id.desc())
        .limit(1)
    )


def _splits_json(splits: list[Split]) -> list[dict[str, Any]]:
    return [msgspec.to_builtins(split) for split in splits]


def check_schedule(schedule: str | None) -> str | None:
    """The normalized cron expression; None for "", "manual" or None.

    Raises:
        DefinitionError: not a five-field cron expression.
    """
    if schedule is None or schedule.strip() in ("", "manual"):
        return None
    try:
        return check_cron(schedule)
    except ValueError as exc:
        raise DefinitionError(str(exc), "$.schedule") from None


def _view(row: Segment, run: SegmentRun | None) -> SegmentView:
    return SegmentView(
        id=row.id,
        name=row.name,
        description=row.description,
        condition=row.condition,
        splits=msgspec.convert(row.splits, list[Split]),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_run=run_view(run, row.name) if run is not None else None,
        schedule=row.schedule,
    )
