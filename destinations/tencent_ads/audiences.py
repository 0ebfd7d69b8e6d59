"""Finding and creating customer-file audiences (``custom_audiences/get`` and ``/add``)."""

from __future__ import annotations

from typing import Any

from junction.destinations.tencent_ads.client import Api
from junction.plugins import Audience, AudienceRequest, Retryable

__all__ = ["AUDIENCE_TYPE", "create", "find_by_id", "find_by_name"]

AUDIENCE_TYPE = "CUSTOMER_FILE"
PAGE_SIZE = 100


async def find_by_id(api: Api, audience_id: str) -> Audience | None:
    """The customer-file audience ``audience_id`` of the account, or None."""
    if not audience_id.isdigit():
        return None
    data = await api.get(
        "custom_audiences/get",
        {"account_id": api.ctx.config.account_id, "audience_id": audience_id},
    )
    for item in _items(data):
        if str(item.get("audience_id")) == audience_id and item.get("type") == AUDIENCE_TYPE:
            return _audience(item)
    return None


async def find_by_name(api: Api, name: str) -> Audience | None:
    """The account's customer-file audience called ``name``, paging through them all."""
    page = 1
    while True:
        data = await api.get(
            "custom_audiences/get",
            {"account_id": api.ctx.config.account_id, "page": page, "page_size": PAGE_SIZE},
        )
        for item in _items(data):
            if item.get("name") == name and item.get("type") == AUDIENCE_TYPE:
                return _audience(item)
        info = data.get("page_info") or {}
        total = info.get("total_page") if isinstance(info, dict) else None
        if not isinstance(total, int) or page >= total:
            return None
        page += 1


async def create(api: Api, request: AudienceRequest) -> Audience:
    """Create an empty customer-file audience named as requested."""
    body: dict[str, Any] = {
        "account_id": api.ctx.config.account_id,
        "name": request.name,
        "type": AUDIENCE_TYPE,
    }
    if request.description:
        body["description"] = request.description
    data = await api.post_json("custom_audiences/add", body)
    audience_id = data.get("audience_id")
    if not isinstance(audience_id, int):
        # The audience may exist now; the engine retries and finds it by name.
        raise Retryable("Tencent Ads created an audience but returned no audience_id")
    api.ctx.log.info("created Tencent Ads audience %s (%s)", audience_id, request.name)
    return Audience(id=str(audience_id), name=request.name, size=0)


def _items(data: dict[str, Any]) -> list[dict[str, Any]]:
    items = data.get("list")
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _audience(item: dict[str, Any]) -> Audience:
    size = item.get("user_count")
    return Audience(
        id=str(item["audience_id"]),
        name=str(item.get("name", "")),
        size=size if isinstance(size, int) else None,
        data={"status": item.get("status"), "online_status": item.get("online_status")},
    )
