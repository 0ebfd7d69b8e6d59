"""/api/v1/syncs, /runs and a destination's match history."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.exceptions import HTTPException
from litestar.params import Body, JSONBody, PathParameter, QueryParameter

from junction.admin.api.auth import principal_of
from junction.core.api_tokens import Role
from junction.core.sync import (
    MatchPoint,
    RunDetail,
    RunView,
    SyncBusy,
    SyncUpdate,
    SyncView,
    create_sync,
    enqueue,
    get_run,
    get_sync,
    list_runs,
    list_syncs,
    match_history,
    update_sync,
)
from junction.core.sync.store import decode_definition

Name = Annotated[str, PathParameter(description="The sync's name.")]
EDIT = {"role": Role.EDITOR}


class RunQueued(msgspec.Struct, frozen=True, kw_only=True):
    run: int


class SyncController(Controller):
    path = "/syncs"
    tags: ClassVar[list[str]] = ["syncs"]

    @get("/")
    async def list_syncs(self, request: Request[Any, Any, Any]) -> list[SyncView]:
        """Every sync: pull, push and message."""
        return await list_syncs(request.app.state.db)

    @post("/", opt=EDIT, status_code=201)
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[
            dict[str, Any], Body(description="A SyncCreate (see docs/syncs.md, docs/messaging.md).")
        ],
    ) -> SyncView:
        """Define a sync; a refused definition is a 400 naming the field's path."""
        state = request.app.state
        definition = decode_definition(data)
        return await create_sync(
            state.db, state.plugins, definition, actor=principal_of(request).actor
        )

    @get("/{name:str}")
    async def read(self, request: Request[Any, Any, Any], name: Name) -> SyncView:
        return await get_sync(request.app.state.db, name)

    @patch("/{name:str}", opt=EDIT)
    async def change(
        self, request: Request[Any, Any, Any], name: Name, data: JSONBody[SyncUpdate]
    ) -> SyncView:
        """Change the schedule, enabled flag, identifiers, consent purpose or notify."""
        state = request.app.state
        return await update_sync(
            state.db, state.plugins, name, data, actor=principal_of(request).actor
        )

    @post("/{name:str}/run", opt=EDIT, status_code=202)
    async def run(self, request: Request[Any, Any, Any], name: Name) -> RunQueued:
        """Queue a run now; a worker (the hub's own, in the embedded default) takes it."""
        try:
            run_id = await enqueue(
                request.app.state.db, name, trigger="api", actor=principal_of(request).actor
            )
        except SyncBusy as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
        return RunQueued(run=run_id)

    @get("/{name:str}/runs")
    async def runs(
        self,
        request: Request[Any, Any, Any],
        name: Name,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> list[RunView]:
        return await list_runs(request.app.state.db, sync=name, limit=limit)


class RunController(Controller):
    path = "/runs"
    tags: ClassVar[list[str]] = ["syncs"]

    @get("/{run_id:int}")
    async def read(
        self,
        request: Request[Any, Any, Any],
        run_id: Annotated[int, PathParameter(description="The run's id.")],
    ) -> RunDetail:
        """A run with its batches and attempts."""
        return await get_run(request.app.state.db, run_id)


class MatchController(Controller):
    path = "/connections"
    tags: ClassVar[list[str]] = ["syncs"]

    @get("/{connection:str}/matches")
    async def matches(
        self,
        request: Request[Any, Any, Any],
        connection: Annotated[str, PathParameter(description="A destination connection.")],
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 30,
    ) -> list[MatchPoint]:
        """Finished push runs to a destination, oldest first: planned → matched, rate."""
        return await match_history(request.app.state.db, connection, limit=limit)
