"""Finding a customer-file audience by id or by name, as an :class:`Audience`."""

from __future__ import annotations

from typing import Any, TypeAlias

from junction.destinations.meta.config import MetaConfig
from junction.destinations.meta.errors import UNKNOWN_OBJECT
from junction.destinations.meta.graph import Graph
from junction.plugins import Audience, ConfigInvalid, ConnectorContext

__all__ = ["AUDIENCE_FIELDS", "audience_data", "find", "read"]

Ctx: TypeAlias = ConnectorContext[MetaConfig]

AUDIENCE_FIELDS = "id,name,subtype,account_id,approximate_count_lower_bound,operation_status"
#: ``operation_status.code`` of an audience flagged by integrity checks: updates fail.
FLAGGED_STATUS = 471
#: Audiences per page when looking one up by name.
PAGE_SIZE = 100


async def read(ctx: Ctx, graph: Graph, audience_id: str) -> Audience | None:
    """The audience with this id, or None when Meta says there is none."""
    try:
        found = await graph.call(
            "GET", f"/{audience_id}", f"reading audience {audience_id}", {"fields": AUDIENCE_FIELDS}
        )
    except ConfigInvalid as exc:
        if exc.code == f"100/{UNKNOWN_OBJECT}":
            return None
        raise
    return _audience(ctx, found)


async def find(ctx: Ctx, graph: Graph, name: str) -> Audience | None:
    """The ad account's customer-file audience named ``name``, or None."""
    params: dict[str, Any] = {"fields": AUDIENCE_FIELDS, "limit": PAGE_SIZE}
    path = f"/{ctx.config.account}/customaudiences"
    while True:
        page = await graph.call("GET", path, f"looking for audience {name!r}", params)
        for item in page.get("data") or []:
            # Other subtypes (lookalikes, website audiences) can't take a customer file.
            if isinstance(item, dict) and item.get("name") == name and _is_custom(item):
                return _audience(ctx, item)
        after = (page.get("paging") or {}).get("cursors", {}).get("after")
        if not (page.get("paging") or {}).get("next") or not after:
            return None
        params = {**params, "after": after}


def _is_custom(item: dict[str, Any]) -> bool:
    return item.get("subtype") == "CUSTOM"


def _audience(ctx: Ctx, item: dict[str, Any]) -> Audience:
    audience_id = str(item.get("id") or "")
    if item.get("subtype") not in (None, "CUSTOM"):
        raise ConfigInvalid(
            f"audience {audience_id} is a {item.get('subtype')} audience; only customer-file "
            "(CUSTOM) audiences take members"
        )
    status = item.get("operation_status")
    if isinstance(status, dict) and status.get("code") == FLAGGED_STATUS:
        raise ConfigInvalid(
            f"audience {audience_id} is flagged by Meta's integrity checks (operation_status "
            f"{FLAGGED_STATUS}: {status.get('description') or 'no description'}); resolve it "
            "in Ads Manager before syncing again"
        )
    account = item.get("account_id")
    if account is not None and f"act_{str(account).removeprefix('act_')}" != ctx.config.account:
        raise ConfigInvalid(
            f"audience {audience_id} belongs to another ad account ({account})",
            field="ad_account_id",
        )
    # Meta reports sizes only as a range: the lower bound is the safe one to judge
    # removals by.
    lower = item.get("approximate_count_lower_bound")
    size = lower if isinstance(lower, int) and lower >= 0 else None
    return Audience(
        id=audience_id, name=str(item.get("name") or ""), size=size, data=audience_data(ctx)
    )


def audience_data(ctx: Ctx) -> dict[str, Any]:
    return {"ad_account_id": ctx.config.account}
