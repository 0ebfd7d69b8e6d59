"""Finding, creating and publishing a segment's data source and its audience."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from junction.destinations.oceanengine.client import OceanClient
from junction.destinations.oceanengine.datasource import (
    DataSource,
    data_source_name,
    decode_data_sources,
)
from junction.destinations.oceanengine.upload import bootstrap_file
from junction.plugins import Audience, AudienceRequest, PermanentFailure

__all__ = ["audience_of", "create", "find_by_name", "publish", "read"]

_PAGE = 100
_MAX_DESCRIPTION = 256


async def read(client: OceanClient, data_source_id: str) -> DataSource | None:
    """The data source ``data_source_id``, or None when the platform does not know it."""
    data = await client.get("2/dmp/data_source/read/", {"data_source_id_list": [data_source_id]})
    for source in decode_data_sources(data):
        if source.id == data_source_id:
            return source
    return None


async def find_by_name(client: OceanClient, name: str) -> DataSource | None:
    """The data source whose default audience is called ``name``, if any.

    There is no data source listing; audiences are listed, and a data source's default
    audience carries its name and id. A data source still in its first parse has no
    audience yet, so it can't be found by name until that parse is done.
    """
    wanted = data_source_name(name)
    offset = 0
    while True:
        params = {"select_type": 0, "offset": offset, "limit": _PAGE}
        data = await client.get("2/dmp/custom_audience/select/", params)
        audiences: list[dict[str, Any]] = data.get("custom_audience_list") or []
        for audience in audiences:
            source_id = audience.get("data_source_id")
            if audience.get("name") == wanted and source_id:
                # An audience pushed from another account can share the name; its data
                # source is not readable here, so keep looking.
                source = await read(client, str(source_id))
                if source is not None:
                    return source
        offset += len(audiences)
        if not audiences or offset >= int(data.get("total_num") or 0):
            return None


async def create(client: OceanClient, request: AudienceRequest, *, kind: str, now: datetime) -> str:
    """A new data source for ``request``; its id.

    A data source is created from files: an empty one starts it, and every batch
    changes it with ``data_source/update`` afterwards.
    """
    name = data_source_name(request.name)
    file_path = await client.upload(bootstrap_file(prefix="junction-create", now=now))
    description = request.description or f"Junction segment {request.name}"
    data = await client.post(
        "2/dmp/data_source/create/",
        {
            "data_source_name": name,
            "description": description[:_MAX_DESCRIPTION],
            "data_format": 0,
            "file_storage_type": 0,
            "file_paths": [file_path],
            "data_source_type": kind,
        },
    )
    source_id = data.get("data_source_id")
    if not source_id:
        raise PermanentFailure("Ocean Engine created the data source but returned no id")
    return str(source_id)


def audience_of(source: DataSource, request_name: str) -> Audience:
    """The hub's view of ``source``: its id, and its audience once it has one."""
    data: dict[str, Any] = {}
    size = None
    if source.default_audience is not None:
        data["custom_audience_id"] = source.default_audience.custom_audience_id
        size = source.default_audience.cover_num
    return Audience(id=source.id, name=request_name, size=size, data=data)


async def publish(client: OceanClient, audience_id: int, targets: list[str]) -> str:
    """Publish audience ``audience_id`` and push it to ``targets``; what happened.

    The platform publishes an audience at most once a day; a refusal leaves the
    changes applied to the data source, and a later change publishes them all.

    Raises:
        Retryable, AuthFailed, ConfigInvalid: as any call; the caller polls again.
    """
    try:
        await client.post("2/dmp/custom_audience/publish/", {"custom_audience_id": audience_id})
    except PermanentFailure as exc:
        return f"changes applied; publishing was refused, a later change retries it ({exc.message})"
    if not targets:
        return "changes applied and published"
    body = {"custom_audience_id": audience_id, "target_advertiser_ids": [int(t) for t in targets]}
    try:
        await client.post("2/dmp/custom_audience/push_v2/", body)
    except PermanentFailure as exc:
        return f"changes applied and published; pushing was refused ({exc.message})"
    return f"changes applied, published and pushed to {len(targets)} advertiser(s)"
