"""Customer Match lists through the Data Manager ``UserListService`` (DM-3, DM-6).

Found by the id remembered from an earlier run, then by display name, else created as
a first-party contact (or mobile id) list. The list id is what ingest requests name as
``productDestinationId``.
"""

from __future__ import annotations

from typing import Any

from junction.destinations.google_ads.client import DATA_MANAGER_HOST, GoogleClient
from junction.plugins import Audience, AudienceRequest, ConfigInvalid, PermanentFailure

__all__ = ["UserLists"]

_DAY = 86_400


class UserLists:
    """The Data Manager list calls of one operation."""

    def __init__(self, client: GoogleClient) -> None:
        self.client = client
        self.config = client.config
        self.account = f"accountTypes/GOOGLE_ADS/accounts/{self.config.customer_id}"

    def _list_headers(self) -> dict[str, str]:
        login = self.config.login_customer_id
        return {"login-account": f"accountTypes/GOOGLE_ADS/accounts/{login}"} if login else {}

    async def check(self) -> int:
        """How many lists the account has on the first page (proves access)."""
        answer = await self.client.call(
            "GET",
            f"{DATA_MANAGER_HOST}/v1/{self.account}/userLists",
            "a list of user lists",
            params={"pageSize": "1"},
            headers=self._list_headers(),
        )
        return len(answer.get("userLists") or [])

    async def ensure_list(self, request: AudienceRequest) -> Audience:
        if request.existing_id:
            found = await self._get(request.existing_id)
            if found is not None:
                return found
        found = await self._find(request.name)
        if found is not None:
            return found
        try:
            created = await self.client.call(
                "POST",
                f"{DATA_MANAGER_HOST}/v1/{self.account}/userLists",
                "creating a user list",
                json=self._new_list(request),
                headers=self._list_headers(),
            )
        except PermanentFailure as exc:
            # Another writer created it between our lookup and create: use theirs.
            if exc.code not in ("ALREADY_EXISTS", "DISPLAY_NAME_ALREADY_USED"):
                raise
            found = await self._find(request.name)
            if found is None:
                raise
            return found
        return self._audience(created)

    async def _get(self, list_id: str) -> Audience | None:
        if not list_id.isdigit():
            return None
        try:
            answer = await self.client.call(
                "GET",
                f"{DATA_MANAGER_HOST}/v1/{self.account}/userLists/{list_id}",
                "reading a user list",
                headers=self._list_headers(),
            )
        except ConfigInvalid as exc:
            if exc.code == "NOT_FOUND":
                return None  # deleted on Google's side: find it by name or create anew
            raise
        return self._audience(answer)

    async def _find(self, name: str) -> Audience | None:
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        token = ""
        while True:
            params = {"filter": f'display_name = "{quoted}"', "pageSize": "1000"}
            if token:
                params["pageToken"] = token
            answer = await self.client.call(
                "GET",
                f"{DATA_MANAGER_HOST}/v1/{self.account}/userLists",
                "looking up a user list by name",
                params=params,
                headers=self._list_headers(),
            )
            for item in answer.get("userLists") or []:
                if isinstance(item, dict) and item.get("displayName") == name:
                    return self._audience(item)
            token = str(answer.get("nextPageToken") or "")
            if not token:
                return None

    def _new_list(self, request: AudienceRequest) -> dict[str, Any]:
        config = self.config
        if config.upload_key_type == "CONTACT_INFO":
            info: dict[str, Any] = {
                "uploadKeyTypes": ["CONTACT_ID"],
                "contactIdInfo": {"dataSourceType": "DATA_SOURCE_TYPE_FIRST_PARTY"},
            }
        else:
            info = {
                "uploadKeyTypes": ["MOBILE_ID"],
                "mobileIdInfo": {"keySpace": config.app_platform, "appId": config.app_id},
            }
        return {
            "displayName": request.name,
            # The field-mapping guide treats description as required: always send one.
            "description": request.description or "Synced by Junction",
            "membershipDuration": f"{config.membership_days * _DAY}s",
            "ingestedUserListInfo": info,
        }

    def _audience(self, user_list: dict[str, Any]) -> Audience:
        list_id = str(user_list.get("id") or str(user_list.get("name", "")).rsplit("/", 1)[-1])
        sizes = user_list.get("sizeInfo") or {}
        return Audience(
            id=list_id,
            name=str(user_list.get("displayName", "")),
            # Not ``size``: Google's sizes count matched users, lag uploads by up to 48 h
            # and start at 0, so comparing removals with them would hold removals Google
            # accepts (it never forbids shrinking a list). Kept for display.
            data={
                "api": "data_manager",
                "search_size": sizes.get("searchNetworkMembersCount"),
                "display_size": sizes.get("displayNetworkMembersCount"),
            },
        )
