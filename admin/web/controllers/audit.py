"""The audit log, newest first, filtered by actor, action and target."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.params import QueryParameter

from junction.admin.web.controllers.common import Req
from junction.admin.web.render import render
from junction.core.audit import list_entries

PAGE = 50


class AuditController(Controller):
    path = "/audit"

    @get("/", name="web:audit")
    async def index(
        self,
        request: Req,
        actor: Annotated[str, QueryParameter()] = "",
        action: Annotated[str, QueryParameter()] = "",
        target: Annotated[str, QueryParameter()] = "",
        before: Annotated[int | None, QueryParameter()] = None,
    ) -> Response[Any]:
        entries = await list_entries(
            request.app.state.db,
            actor=actor.strip() or None,
            action=action.strip() or None,
            target=target.strip() or None,
            before_id=before,
            limit=PAGE,
        )
        return render(
            request,
            "audit.html",
            entries=entries,
            actor=actor,
            action=action,
            target=target,
            older=entries[-1].id if len(entries) == PAGE else None,
        )
