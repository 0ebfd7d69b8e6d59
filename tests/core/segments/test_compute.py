"""Preview saves nothing; compute stores the snapshot, the run and the net changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from junction.core.db import Database
from junction.core.db.tables import (
    AuditEntry,
    Identity,
    ProfileTag,
    SegmentChange,
    SegmentMembership,
    SegmentRun,
)
from junction.core.errors import NotFoundError
from junction.core.secrets import SecretBox, generate_key
from junction.core.segments import (
    TagCondition,
    changes_since,
    compute_segment,
    create_segment,
    list_segments,
    members_for_activation,
    preview,
)

from .world import NOW, Person, insert_people

VIP = TagCondition(tag="vip")


async def _tag(db: Database, pid: int, tag: str = "vip") -> None:
    async with db.transaction() as session:
        await session.execute(
            insert(ProfileTag).values(tag=tag, profile_id=pid, origin="manual", created_at=NOW)
        )


async def _untag(db: Database, pid: int) -> None:
    async with db.transaction() as session:
        await session.execute(ProfileTag.__table__.delete().where(ProfileTag.profile_id == pid))


async def _count(db: Database, table: type) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_preview_counts_and_masks_and_saves_nothing(db: Database) -> None:
    ids = await insert_people(db, [Person(tags=["vip"]) for _ in range(3)] + [Person()])
    box = SecretBox.from_settings(generate_key(), Path("/nonexistent"))
    sealed = box.seal({"value": "john.doe@example.com"}, context="identity:email:abc123")
    async with db.transaction() as session:
        await session.execute(
            insert(Identity),
            [
                {
                    "profile_id": ids[0],
                    "type": "email",
                    "value": "abc123",
                    "hashed": True,
                    "value_encrypted": sealed,
                },
                {"profile_id": ids[0], "type": "user_id", "value": "user-000123456"},
            ],
        )
    audit_before = await _count(db, AuditEntry)

    shown = await preview(db, VIP, now=NOW, sample_size=2, box=box)

    assert shown.count == 3
    assert [m.profile_id for m in shown.sample] == ids[:2]
    assert shown.sample[0].identifiers == ["email: j***@example.com", "user_id: use***56"]
    assert shown.sample[1].identifiers == []
    without_key = await preview(db, VIP, now=NOW, sample_size=1)
    assert without_key.sample[0].identifiers[0] == "email: ***"
    for table in (SegmentRun, SegmentMembership, SegmentChange):
        assert await _count(db, table) == 0
    assert await _count(db, AuditEntry) == audit_before


async def test_compute_stores_snapshot_and_diff_and_changes_since_nets_them(
    db: Database,
) -> None:
    a, b, c = await insert_people(db, [Person(tags=["vip"]), Person(tags=["vip"]), Person()])
    await create_segment(db, "vips", VIP, actor="test")

    first = await compute_segment(db, "vips", actor="test", now=NOW)
    assert (first.members, first.added, first.removed, first.moved) == (2, 2, 0, 0)

    await _untag(db, b)
    await _tag(db, c)
    second = await compute_segment(db, "vips", actor="test", now=NOW)
    assert (second.members, second.added, second.removed) == (2, 1, 1)
    async with db.sessions() as session:
        members = set(await session.scalars(select(SegmentMembership.profile_id)))
        changed = (
            await session.execute(
                select(SegmentChange.profile_id, SegmentChange.before, SegmentChange.after)
                .where(SegmentChange.run_id == second.id)
                .order_by(SegmentChange.profile_id)
            )
        ).all()
    assert members == {a, c}
    assert changed == [(b, "", None), (c, None, "")]

    # b comes back, c leaves again: net of runs 2 and 3 against run 1 is nothing for b.
    await _tag(db, b)
    await _untag(db, c)
    third = await compute_segment(db, "vips", actor="test", now=NOW)
    since_first = await changes_since(db, "vips", first.id)
    assert (since_first.added, since_first.removed, since_first.run) == ([], [], third.id)
    since_second = await changes_since(db, "vips", second.id)
    assert (since_second.added, since_second.removed) == ([b], [c])
    from_nothing = await changes_since(db, "vips", None)
    assert (from_nothing.added, from_nothing.removed) == ([a, b], [])
    unchanged = await compute_segment(db, "vips", actor="test", now=NOW)
    assert (unchanged.added, unchanged.removed) == (0, 0)
    assert [s.last_run.id for s in await list_segments(db) if s.last_run] == [unchanged.id]


async def test_changes_since_refuses_another_segments_run(db: Database) -> None:
    await insert_people(db, [Person(tags=["vip"])])
    await create_segment(db, "one", VIP, actor="test")
    await create_segment(db, "two", VIP, actor="test")
    run = await compute_segment(db, "one", actor="test", now=NOW)
    with pytest.raises(NotFoundError, match="no run"):
        await changes_since(db, "two", run.id)
    with pytest.raises(NotFoundError, match="no segment"):
        await changes_since(db, "three", None)


async def test_members_for_activation_pages_through_the_snapshot(db: Database) -> None:
    ids = await insert_people(db, [Person(tags=["vip"]) for _ in range(7)])
    await create_segment(db, "vips", VIP, actor="test")
    await compute_segment(db, "vips", actor="test", now=NOW)
    batches = [batch async for batch in members_for_activation(db, "vips", batch_size=3)]
    assert batches == [ids[0:3], ids[3:6], ids[6:7]]
