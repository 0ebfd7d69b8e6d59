"""Previewing a message for a real person (or a sample), before any sync sends it."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import select

from junction.core.db import Database
from junction.core.db.tables import Profile
from junction.core.errors import NotFoundError
from junction.core.messaging.templates import MessageTemplate, Rendered, preview

__all__ = ["PreviewRequest", "preview_message"]


class PreviewRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A template and whom to render it for: a profile id, or sample traits."""

    template: MessageTemplate
    profile_id: int | None = None
    traits: dict[str, Any] = {}
    segment: str = "sample-segment"


async def preview_message(db: Database, request: PreviewRequest) -> Rendered:
    """Render ``request.template`` as a message sync would for that person.

    Raises:
        NotFoundError: no such profile (or it was merged into another: use that one).
        TemplateError: a syntax error, or every variable the person has no value for.
    """
    traits, profile_id = dict(request.traits), request.profile_id or 0
    if request.profile_id is not None:
        async with db.sessions() as session:
            row = (
                await session.execute(
                    select(Profile.traits, Profile.merged_into).where(
                        Profile.id == request.profile_id
                    )
                )
            ).one_or_none()
        if row is None:
            raise NotFoundError(f"no profile {request.profile_id}")
        if row.merged_into is not None:
            raise NotFoundError(
                f"profile {request.profile_id} was merged into {row.merged_into}; preview that one"
            )
        traits = {**dict(row.traits or {}), **traits}
    context = {"traits": traits, "profile": {"id": profile_id}, "segment": request.segment}
    return preview(request.template, context)
