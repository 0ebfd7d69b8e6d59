"""The REST layer's service functions and DTOs, for admin/api to mount.

Every function takes the open :class:`~junction.core.db.Database` and returns a
msgspec Struct; errors are :class:`~junction.core.model.ModelError` (400, with the
JSONPath of the problem; :class:`DefinitionError` is one) and
:class:`~junction.core.errors.NotFoundError` (404). Conditions travel as plain JSON
(``dict``) so their errors name paths inside the request body (``$.condition...``).

=================================  ==============================================
``POST /api/v1/segments``          :func:`create` (``SegmentCreate`` → ``SegmentView``)
``GET /api/v1/segments``           :func:`list_all` (→ ``list[SegmentView]``)
``GET /api/v1/segments/{name}``    :func:`read` (→ ``SegmentView``)
``PATCH /api/v1/segments/{name}``  :func:`change` (``SegmentUpdate`` → ``SegmentView``)
``DELETE /api/v1/segments/{name}`` :func:`remove` (→ None)
``POST /api/v1/segments/preview``  :func:`preview_definition` (``PreviewRequest`` → ``Preview``)
``POST .../{name}/compute``        :func:`compute` (→ ``SegmentRunView``)
``GET .../{name}/changes``         :func:`changes` (``?since_run=`` → ``SegmentDiff``)
``POST .../{name}/uplift``         :func:`uplift` (``UpliftRequest`` → ``UpliftReport``)
=================================  ==============================================
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from junction.core.db import Database
from junction.core.secrets import SecretBox
from junction.core.segments.changes import changes_since
from junction.core.segments.compute import MAX_SAMPLE, compute_segment, preview
from junction.core.segments.errors import DefinitionError
from junction.core.segments.splits import Split
from junction.core.segments.store import (
    create_segment,
    decode_under,
    delete_segment,
    get_segment,
    list_segments,
    update_segment,
)
from junction.core.segments.uplift import uplift_report
from junction.core.segments.views import (
    Preview,
    SegmentDiff,
    SegmentRunView,
    SegmentView,
    UpliftReport,
)

__all__ = [
    "PreviewRequest",
    "SegmentCreate",
    "SegmentUpdate",
    "UpliftRequest",
    "change",
    "changes",
    "compute",
    "create",
    "list_all",
    "preview_definition",
    "read",
    "remove",
    "uplift",
]

_Condition = Annotated[
    dict[str, Any], Meta(description="A segment condition (see docs/segments.md).")
]


class SegmentCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, Meta(description="Lower-case letters, digits, `_`, `-`.")]
    condition: _Condition
    description: str = ""
    splits: list[Split] = []
    schedule: Annotated[
        str | None, Meta(description="Cron (UTC) to recompute it at; none: on demand.")
    ] = None


class SegmentUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Only the fields present change."""

    condition: _Condition | None = None
    description: str | None = None
    splits: list[Split] | None = None
    #: A cron expression; "" or "manual" stops scheduled recomputation.
    schedule: str | None = None


class PreviewRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    condition: _Condition
    sample_size: Annotated[int, Meta(ge=0, le=MAX_SAMPLE)] = 10


class UpliftRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    event: Annotated[str, Meta(description="The conversion event's name.")]
    since: datetime
    until: datetime
    confidence: Annotated[float, Meta(gt=0, lt=1)] = 0.95


async def create(db: Database, body: SegmentCreate, *, actor: str) -> SegmentView:
    """Create a segment; nothing is stored when the definition is invalid."""
    condition = decode_under(body.condition, "$.condition")
    return await create_segment(
        db,
        body.name,
        condition,
        actor=actor,
        description=body.description,
        splits=body.splits,
        schedule=body.schedule,
    )


async def list_all(db: Database) -> list[SegmentView]:
    """Every segment with its latest run."""
    return await list_segments(db)


async def read(db: Database, name: str) -> SegmentView:
    """One segment with its latest run."""
    return await get_segment(db, name)


async def change(db: Database, name: str, body: SegmentUpdate, *, actor: str) -> SegmentView:
    """Change a segment's condition, description or splits."""
    condition = decode_under(body.condition, "$.condition") if body.condition is not None else None
    return await update_segment(
        db,
        name,
        actor=actor,
        condition=condition,
        description=body.description,
        splits=body.splits,
        schedule=body.schedule,
    )


async def remove(db: Database, name: str, *, actor: str) -> None:
    """Delete a segment (refused while another segment or a tag rule uses it)."""
    await delete_segment(db, name, actor=actor)


async def preview_definition(
    db: Database, body: PreviewRequest, *, box: SecretBox | None = None
) -> Preview:
    """Count and sample (masked) a definition's members now; nothing is saved."""
    condition = decode_under(body.condition, "$.condition")
    try:
        return await preview(db, condition, sample_size=body.sample_size, box=box)
    except DefinitionError as exc:
        raise DefinitionError(exc.message, "$.condition" + exc.path.removeprefix("$")) from None


async def compute(db: Database, name: str, *, actor: str) -> SegmentRunView:
    """Compute a segment now: snapshot, run and changes are stored."""
    return await compute_segment(db, name, actor=actor)


async def changes(db: Database, name: str, since_run: int | None = None) -> SegmentDiff:
    """Net activation changes after ``since_run`` (all activated members when None)."""
    return await changes_since(db, name, since_run)


async def uplift(db: Database, name: str, body: UpliftRequest) -> UpliftReport:
    """Conversion of treated vs holdout members over a window, with an interval."""
    return await uplift_report(
        db, name, body.event, since=body.since, until=body.until, confidence=body.confidence
    )
