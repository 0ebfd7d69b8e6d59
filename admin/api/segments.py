"""/api/v1/segments: create, read, change, preview, compute, diff and uplift segments."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import JSONBody, PathParameter, QueryParameter

from junction.admin.api.auth import principal_of
from junction.core.api_tokens import Role
from junction.core.segments import api
from junction.core.segments.views import (
    Preview,
    SegmentDiff,
    SegmentRunView,
    SegmentView,
    UpliftReport,
)

Name = Annotated[str, PathParameter(description="The segment's name.")]
EDIT = {"role": Role.EDITOR}


class SegmentController(Controller):
    path = "/segments"
    tags: ClassVar[list[str]] = ["segments"]

    @get("/")
    async def list_segments(self, request: Request[Any, Any, Any]) -> list[SegmentView]:
        """Every segment with its latest run."""
        return await api.list_all(request.app.state.db)

    @post("/", opt=EDIT, status_code=201)
    async def create(
        self, request: Request[Any, Any, Any], data: JSONBody[api.SegmentCreate]
    ) -> SegmentView:
        """Create a segment; an invalid definition is a 400 naming the path, nothing stored."""
        return await api.create(request.app.state.db, data, actor=principal_of(request).actor)

    @post("/preview", status_code=200)
    async def preview(
        self, request: Request[Any, Any, Any], data: JSONBody[api.PreviewRequest]
    ) -> Preview:
        """Count and a masked sample of a definition's members now; nothing is saved."""
        state = request.app.state
        return await api.preview_definition(state.db, data, box=state.secrets)

    @get("/{name:str}")
    async def read(self, request: Request[Any, Any, Any], name: Name) -> SegmentView:
        return await api.read(request.app.state.db, name)

    @patch("/{name:str}", opt=EDIT)
    async def change(
        self, request: Request[Any, Any, Any], name: Name, data: JSONBody[api.SegmentUpdate]
    ) -> SegmentView:
        return await api.change(request.app.state.db, name, data, actor=principal_of(request).actor)

    @delete("/{name:str}", opt=EDIT, status_code=204)
    async def remove(self, request: Request[Any, Any, Any], name: Name) -> None:
        await api.remove(request.app.state.db, name, actor=principal_of(request).actor)

    @post("/{name:str}/compute", opt=EDIT, status_code=200)
    async def compute(self, request: Request[Any, Any, Any], name: Name) -> SegmentRunView:
        """Compute now: stores the membership snapshot and the diff against the last run."""
        return await api.compute(request.app.state.db, name, actor=principal_of(request).actor)

    @get("/{name:str}/changes")
    async def changes(
        self,
        request: Request[Any, Any, Any],
        name: Name,
        since_run: Annotated[int | None, QueryParameter()] = None,
    ) -> SegmentDiff:
        """Members added and removed after a run (all activated members without one)."""
        return await api.changes(request.app.state.db, name, since_run)

    @post("/{name:str}/uplift", status_code=200)
    async def uplift(
        self, request: Request[Any, Any, Any], name: Name, data: JSONBody[api.UpliftRequest]
    ) -> UpliftReport:
        """A conversion event's rate, treated vs holdout, with a confidence interval."""
        return await api.uplift(request.app.state.db, name, data)
