"""/api/v1/profiles: look up by any identifier, read (PII masked), erase."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from litestar import Controller, Request, delete, get
from litestar.exceptions import PermissionDeniedException
from litestar.params import PathParameter, QueryParameter

from junction.admin.api.auth import principal_of
from junction.core import audit
from junction.core.api_tokens import Role
from junction.core.profiles import ErasureReport, Profiles, ProfileView, erase_profile


def _profiles(request: Request[Any, Any, Any]) -> Profiles:
    state = request.app.state
    return Profiles(state.db, state.secrets)


class ProfileController(Controller):
    path = "/profiles"
    tags: ClassVar[list[str]] = ["profiles"]

    @get("/lookup")
    async def lookup(
        self,
        request: Request[Any, Any, Any],
        type: Annotated[str, QueryParameter(description="user_id, phone, email, ...")],
        value: Annotated[str, QueryParameter(description="The identifier, as sent.")],
        app_scope: Annotated[
            str, QueryParameter(name="scope", description="WeChat app id, for openids.")
        ] = "",
        reveal: Annotated[bool, QueryParameter(description="Show PII unmasked (admin).")] = False,
    ) -> ProfileView:
        """The profile holding an identifier; phone and e-mail match however formatted."""
        service = _profiles(request)
        profile_id = await service.lookup(type, value, app_scope)
        return await self._read(request, service, profile_id, reveal)

    @get("/{profile_id:int}")
    async def read(
        self,
        request: Request[Any, Any, Any],
        profile_id: Annotated[int, PathParameter()],
        reveal: Annotated[bool, QueryParameter()] = False,
    ) -> ProfileView:
        """A profile with identities, traits, consents, merges and recent events.

        A merged profile's id answers with the profile it was merged into.
        """
        return await self._read(request, _profiles(request), profile_id, reveal)

    @delete("/{profile_id:int}", opt={"role": Role.ADMIN}, status_code=200)
    async def erase(
        self, request: Request[Any, Any, Any], profile_id: Annotated[int, PathParameter()]
    ) -> ErasureReport:
        """Erase a person (right to erasure); their identifiers are never linked again."""
        return await erase_profile(
            _profiles(request), profile_id, actor=principal_of(request).actor
        )

    async def _read(
        self, request: Request[Any, Any, Any], service: Profiles, profile_id: int, reveal: bool
    ) -> ProfileView:
        principal = principal_of(request)
        if reveal:
            if not principal.role.allows(Role.ADMIN):
                raise PermissionDeniedException("revealing PII needs the admin role")
            async with service.db.transaction() as session:
                await audit.append(
                    session,
                    actor=principal.actor,
                    action="profile.reveal",
                    target=f"profile:{profile_id}",
                )
        return await service.get(profile_id, reveal=reveal)
