"""The REST service functions, called as admin/api will call them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from junction.core.db import Database
from junction.core.errors import NotFoundError
from junction.core.segments import HOLDOUT, DefinitionError, Split, api

from .world import NOW, Person, insert_people

VIPS = {"type": "tag", "tag": "vip"}


async def test_create_preview_compute_changes_update_delete(db: Database) -> None:
    ids = await insert_people(db, [*(Person(tags=["vip"]) for _ in range(40)), Person()])
    created = await api.create(
        db, api.SegmentCreate(name="vips", condition=VIPS, description="VIPs"), actor="a"
    )
    assert (created.name, created.condition, created.last_run) == ("vips", VIPS, None)

    shown = await api.preview_definition(db, api.PreviewRequest(condition=VIPS, sample_size=2))
    assert shown.count == 40 and [m.profile_id for m in shown.sample] == ids[:2]
    with pytest.raises(DefinitionError) as caught:
        await api.preview_definition(
            db,
            api.PreviewRequest(
                condition={
                    "type": "not",
                    "condition": {"type": "computed", "name": "nope", "op": "exists"},
                }
            ),
        )
    assert caught.value.path == "$.condition.condition.name"

    run = await api.compute(db, "vips", actor="a")
    assert run.members == 40
    diff = await api.changes(db, "vips")
    assert (diff.added, diff.run) == (ids[:40], run.id)
    assert (await api.read(db, "vips")).last_run == run
    assert [s.name for s in await api.list_all(db)] == ["vips"]

    changed = await api.change(
        db,
        "vips",
        api.SegmentUpdate(splits=[Split(variant=HOLDOUT, weight=1), Split(variant="t", weight=1)]),
        actor="a",
    )
    assert changed.condition == VIPS and len(changed.splits) == 2
    await api.compute(db, "vips", actor="a")
    report = await api.uplift(
        db, "vips", api.UpliftRequest(event="purchase", since=NOW - timedelta(days=1), until=NOW)
    )
    assert report.treated.members + report.holdout.members == 40

    await api.remove(db, "vips", actor="a")
    with pytest.raises(NotFoundError):
        await api.read(db, "vips")
