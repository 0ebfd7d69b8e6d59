"""Profiles: search by any identifier; a profile page, PII masked unless revealed."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import QueryParameter

from junction.admin.web.auth import session_of
from junction.admin.web.controllers.common import ADMIN, IntPath, Req
from junction.admin.web.render import render
from junction.core import audit
from junction.core.errors import NotFoundError
from junction.core.model import IdentifierType, ModelError
from junction.core.profiles import Profiles
from junction.core.profiles.related import profile_relations


class Match(msgspec.Struct, frozen=True, kw_only=True):
    profile_id: int
    type: str


def _service(request: Req) -> Profiles:
    return Profiles(request.app.state.db, request.app.state.secrets)


async def _search(service: Profiles, type: str, value: str, scope: str) -> list[Match]:
    """Profiles holding ``value`` as ``type``, or as any identifier type when none given."""
    types = [type] if type else [t.value for t in IdentifierType]
    found: dict[int, Match] = {}
    for candidate in types:
        try:
            profile_id = await service.lookup(candidate, value, scope)
        except (NotFoundError, ModelError):
            continue
        found.setdefault(profile_id, Match(profile_id=profile_id, type=candidate))
    return list(found.values())


class ProfileController(Controller):
    path = "/profiles"

    @get("/", name="web:profiles")
    async def search(
        self,
        request: Req,
        type: Annotated[str, QueryParameter()] = "",
        value: Annotated[str, QueryParameter()] = "",
        app_scope: Annotated[str, QueryParameter(name="scope")] = "",
    ) -> Response[Any]:
        value = value.strip()
        matches = await _search(_service(request), type, value, app_scope.strip()) if value else []
        return render(
            request,
            "profiles/search.html",
            types=[t.value for t in IdentifierType],
            type=type,
            value=value,
            scope=app_scope,
            searched=bool(value),
            matches=matches,
        )

    @get("/{profile_id:int}", name="web:profile")
    async def detail(self, request: Req, profile_id: IntPath) -> Response[Any]:
        return await self._page(request, profile_id, reveal=False)

    @post("/{profile_id:int}/reveal", opt=ADMIN, name="web:profile-reveal")
    async def reveal(self, request: Req, profile_id: IntPath) -> Response[Any]:
        """Show PII unmasked, once, on this response; every reveal is audited."""
        async with request.app.state.db.transaction() as session:
            await audit.append(
                session,
                actor=session_of(request).actor,
                action="profile.reveal",
                target=f"profile:{profile_id}",
            )
        return await self._page(request, profile_id, reveal=True)

    async def _page(self, request: Req, profile_id: int, *, reveal: bool) -> Response[Any]:
        service = _service(request)
        profile = await service.get(profile_id, reveal=reveal, events=50)
        return render(
            request,
            "profiles/detail.html",
            profile=profile,
            relations=await profile_relations(request.app.state.db, profile.id),
        )
