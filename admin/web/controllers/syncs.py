"""Syncs (create, enable/pause, schedule, run now, replay) and their runs."""

from __future__ import annotations

import json
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import QueryParameter

from junction.admin.web.auth import session_of
from junction.admin.web.controllers.common import (
    EDIT,
    IntPath,
    Req,
    StrPath,
    error_flash,
    flash,
    form_data,
    gettext,
    see_other,
)
from junction.admin.web.render import render
from junction.core.connections import Connections
from junction.core.errors import ConfigError
from junction.core.segments import api as segments_api
from junction.core.sync import (
    SyncBusy,
    SyncCreate,
    SyncMode,
    SyncUpdate,
    create_sync,
    enqueue,
    get_run,
    get_sync,
    list_dead_letters,
    list_runs,
    list_syncs,
    replay_dead_letters,
    update_sync,
)
from junction.plugins import Capability

RUN_STATUSES = ("queued", "running", "succeeded", "partial", "failed")


def _identifiers(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


class SyncController(Controller):
    path = "/syncs"

    @get("/", name="web:syncs")
    async def index(self, request: Req) -> Response[Any]:
        db = request.app.state.db
        return render(request, "syncs/list.html", syncs=await list_syncs(db), flash=flash(request))

    @get("/new", name="web:sync-new")
    async def new(self, request: Req) -> Response[Any]:
        return await self._form(request, values={"kind": request.query_params.get("kind", "push")})

    @post("/new", opt=EDIT, name="web:sync-create")
    async def create(self, request: Req) -> Response[Any]:
        form = await form_data(request)
        kind = form.get("kind", "push")
        push, message = kind == "push", kind == "message"
        try:
            definition = msgspec.convert(
                {
                    "name": form.get("name", "").strip(),
                    "kind": kind,
                    "connection": form.get("connection", ""),
                    "segment": (form.get("segment") or None) if push or message else None,
                    "mode": (form.get("mode") or None) if push else None,
                    "identifiers": _identifiers(form.get("identifiers", ""))
                    if push or message
                    else [],
                    "consent_purpose": (form.get("consent_purpose") or "").strip() or None,
                    "schedule": (form.get("schedule") or "").strip() or None,
                    "enabled": form.get("enabled") == "on",
                    "message": _message(form.get("message", "")) if message else None,
                    "notify": (form.get("notify") or "").strip() or None,
                },
                SyncCreate,
            )
            created = await create_sync(
                request.app.state.db,
                request.app.state.plugins,
                definition,
                actor=session_of(request).actor,
            )
        except (msgspec.ValidationError, msgspec.DecodeError, ConfigError) as exc:
            error = str(exc).replace("`$.", "`")
            return await self._form(request, values=form, error=error)
        return see_other(f"/admin/syncs/{created.name}?done=created")

    @get("/{name:str}", name="web:sync")
    async def detail(self, request: Req, name: StrPath) -> Response[Any]:
        db = request.app.state.db
        sync = await get_sync(db, name)
        return render(
            request,
            "syncs/detail.html",
            sync=sync,
            runs=await list_runs(db, sync=name, limit=20),
            dead_letters=await list_dead_letters(db, sync=name, limit=100),
            flash=flash(request) or self._error(request),
        )

    @post("/{name:str}/run", opt=EDIT, name="web:sync-run")
    async def run_now(self, request: Req, name: StrPath) -> Response[Any]:
        db = request.app.state.db
        try:
            run_id = await enqueue(db, name, trigger="manual", actor=session_of(request).actor)
        except SyncBusy:
            return see_other(f"/admin/syncs/{name}?error=busy")
        except ConfigError:
            return see_other(f"/admin/syncs/{name}?error=disabled")
        return see_other(f"/admin/runs/{run_id}?done=queued")

    @post("/{name:str}/enable", opt=EDIT, name="web:sync-enable")
    async def enable(self, request: Req, name: StrPath) -> Response[Any]:
        await self._update(request, name, SyncUpdate(enabled=True))
        return see_other(f"/admin/syncs/{name}?done=enabled")

    @post("/{name:str}/pause", opt=EDIT, name="web:sync-pause")
    async def pause(self, request: Req, name: StrPath) -> Response[Any]:
        await self._update(request, name, SyncUpdate(enabled=False))
        return see_other(f"/admin/syncs/{name}?done=paused")

    @post("/{name:str}/schedule", opt=EDIT, name="web:sync-schedule")
    async def schedule(self, request: Req, name: StrPath) -> Response[Any]:
        schedule = (await form_data(request)).get("schedule", "").strip()
        changes = SyncUpdate(schedule=schedule) if schedule else SyncUpdate(manual=True)
        await self._update(request, name, changes)
        return see_other(f"/admin/syncs/{name}?done=saved")

    @post("/{name:str}/replay", opt=EDIT, name="web:sync-replay")
    async def replay(self, request: Req, name: StrPath) -> Response[Any]:
        form = await form_data(request)
        ids = [int(v) for v in _identifiers(form.get("ids", "")) if v.isdigit()] or None
        await replay_dead_letters(
            request.app.state.db, name, actor=session_of(request).actor, ids=ids
        )
        return see_other(f"/admin/syncs/{name}?done=replayed")

    async def _update(self, request: Req, name: str, changes: SyncUpdate) -> None:
        state = request.app.state
        await update_sync(state.db, state.plugins, name, changes, actor=session_of(request).actor)

    def _error(self, request: Req) -> dict[str, str] | None:
        messages = {
            "busy": "A run of this sync is already queued; it will cover this request.",
            "disabled": "This sync is paused: enable it before running it.",
        }
        code = request.query_params.get("error")
        return error_flash(request, gettext(request)(messages[code])) if code in messages else None

    async def _form(
        self, request: Req, *, values: dict[str, str], error: str = ""
    ) -> Response[Any]:
        state = request.app.state
        plugins = state.plugins
        connections = await Connections(state.db, plugins, state.secrets).list()
        destinations, messengers, notifiers, sources = [], [], [], []
        for connection in connections:
            spec = plugins.connector(connection.plugin).spec
            accepts = [rule.type for rule in spec.accepts]
            if Capability.AUDIENCE in spec.capabilities:
                destinations.append((connection.name, accepts))
            if Capability.MESSAGE in spec.capabilities:
                messengers.append((connection.name, accepts))
            if Capability.NOTIFY in spec.capabilities:
                notifiers.append(connection.name)
            if Capability.PULL in spec.capabilities:
                sources.append((connection.name, []))
        return render(
            request,
            "syncs/form.html",
            status_code=400 if error else 200,
            values=values,
            destinations=destinations,
            messengers=messengers,
            notifiers=notifiers,
            message_example=MESSAGE_EXAMPLE,
            sources=sources,
            segments=[s.name for s in await segments_api.list_all(state.db)],
            modes=[mode.value for mode in SyncMode],
            flash=error_flash(request, error) if error else None,
        )


#: What the message box starts with: a platform SMS template and its parameters.
MESSAGE_EXAMPLE = json.dumps(
    {
        "platform_template": "SMS_0000001",
        "options": {"sign_name": "Junction"},
        "template": {"params": {"name": "{{ traits.first_name | default('friend') }}"}},
        "frequency_cap": {"max_messages": 1, "per_hours": 24},
        "quiet_hours": {"start": "21:00", "end": "08:00", "default_timezone": "Asia/Shanghai"},
    },
    indent=2,
    ensure_ascii=False,
)


def _message(text: str) -> Any:
    """The message box's JSON (a syntax error surfaces as the form's error)."""
    return msgspec.json.decode(text.encode() or b"null")


class RunController(Controller):
    path = "/runs"

    @get("/", name="web:runs")
    async def index(
        self,
        request: Req,
        sync: Annotated[str | None, QueryParameter()] = None,
        status: Annotated[str | None, QueryParameter()] = None,
    ) -> Response[Any]:
        runs = await list_runs(request.app.state.db, sync=sync or None, limit=200)
        if status:
            runs = [run for run in runs if run.status == status]
        return render(
            request,
            "runs/list.html",
            runs=runs[:100],
            sync=sync or "",
            status=status or "",
            statuses=RUN_STATUSES,
        )

    @get("/{run_id:int}", name="web:run")
    async def detail(self, request: Req, run_id: IntPath) -> Response[Any]:
        db = request.app.state.db
        detail = await get_run(db, run_id)
        letters = await list_dead_letters(
            db, sync=detail.run.sync, include_replayed=True, limit=1000
        )
        return render(
            request,
            "runs/detail.html",
            detail=detail,
            run=detail.run,
            dead_letters=[letter for letter in letters if letter.run_id == run_id],
            flash=flash(request),
        )
