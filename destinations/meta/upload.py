"""Sending members through ``/users`` and ``/usersreplace`` as one upload session."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, TypeAlias

from junction.destinations.meta.config import MetaConfig
from junction.destinations.meta.graph import Graph
from junction.destinations.meta.payload import Rows, invalid_samples
from junction.plugins import Audience, BatchResult, ConnectorContext, Member, PendingJob

__all__ = ["Edge", "count", "upload"]

Ctx: TypeAlias = ConnectorContext[MetaConfig]
Edge = Literal["users", "usersreplace"]


async def upload(
    ctx: Ctx,
    audience: Audience,
    members: Sequence[Member],
    method: Literal["POST", "DELETE"],
    edge: Edge,
    sid: int,
    *,
    first_seq: int,
    last: bool,
) -> BatchResult:
    """Send ``members`` as one session's batches; one result per member."""
    rows = Rows.of(members)
    chunks = list(rows.chunks())
    verb = {"POST": "adding", "DELETE": "removing"}[method] if edge == "users" else "replacing"
    received = invalid = 0
    samples: dict[str, str] = {}
    if chunks:
        async with Graph.open(ctx) as graph:
            for n, chunk in enumerate(chunks):
                session: dict[str, Any] = {
                    "session_id": sid,
                    "batch_seq": first_seq + n,
                    "last_batch_flag": last and n == len(chunks) - 1,
                }
                if edge == "users":
                    session["estimated_num_total"] = len(rows.data)
                what = f"{verb} {len(chunk.data):,} rows of audience {audience.id}"
                payload = chunk.payload(rows.schema, ctx.config.limited_data_use)
                answer = await graph.call(
                    method, f"/{audience.id}/{edge}", what, {"payload": payload, "session": session}
                )
                received += count(answer, "num_received")
                invalid += count(answer, "num_invalid_entries")
                samples.update(invalid_samples(answer))
    warnings = []
    # Samples name values, and one value can fill several cells: count the cells.
    named = sum(1 for row in rows.data for value in row if value in samples)
    if invalid > named:
        warnings.append(
            f"Meta counted {invalid:,} invalid entries in audience {audience.name} but "
            f"named {named:,}; the members of the others count as accepted"
        )
    job = None
    # A replace session is processed only once its last batch is in: follow that one.
    if chunks and last and ctx.config.wait_for_matching:
        job = PendingJob(id=str(sid), data={"audience_id": audience.id, "session_id": sid})
    return BatchResult(
        results=rows.results(members, samples),
        job=job,
        received=received if chunks else None,
        invalid=invalid if chunks else None,
        warnings=tuple(warnings),
    )


def count(answer: dict[str, Any], name: str) -> int:
    value = answer.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
