"""Connections: the plugin catalog, schema-generated forms, check, write keys."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from msgspec.structs import replace

from junction.admin.web.auth import session_of
from junction.admin.web.controllers.common import (
    EDIT,
    Req,
    StrPath,
    error_flash,
    flash,
    form_data,
    gettext,
    see_other,
)
from junction.admin.web.forms import fields_for, read_config
from junction.admin.web.render import render
from junction.core.connections import Connections
from junction.core.errors import ConfigError
from junction.plugins import Capability


def _service(request: Req) -> Connections:
    state = request.app.state
    return Connections(state.db, state.plugins, state.secrets)


class ConnectionController(Controller):
    path = "/connections"

    @get("/", name="web:connections")
    async def index(self, request: Req) -> Response[Any]:
        return render(
            request,
            "connections/list.html",
            connections=await _service(request).list(),
            flash=flash(request),
        )

    @get("/new", name="web:plugin-catalog")
    async def catalog(self, request: Req) -> Response[Any]:
        plugins = request.app.state.plugins
        docs = {name: cls.spec.docs_url for name, cls in plugins.connectors.items()}
        return render(request, "connections/catalog.html", catalog=plugins.catalog(), docs=docs)

    @get("/new/{plugin:str}", name="web:connection-new")
    async def new(self, request: Req, plugin: StrPath) -> Response[Any]:
        return self._form(request, plugin, values={}, name="")

    @post("/new/{plugin:str}", opt=EDIT, name="web:connection-create")
    async def create(self, request: Req, plugin: StrPath) -> Response[Any]:
        service = _service(request)
        spec = request.app.state.plugins.connector(plugin).spec
        schema = spec.config_schema()
        form = await form_data(request)
        name = form.get("name", "").strip()
        try:
            config = read_config(schema, form)
            created = await service.create(
                name=name, plugin=plugin, config=config, actor=session_of(request).actor
            )
        except ConfigError as exc:
            public = {k: v for k, v in form.items() if k not in spec.secret_fields}
            return self._form(request, plugin, values=public, name=name, error=str(exc), raw=True)
        if created.created_write_key:
            # Shown on this response only: it is stored hashed and can't be shown again.
            return render(
                request,
                "connections/write_key.html",
                connection=created,
                write_key=created.created_write_key,
            )
        return see_other(f"/admin/connections/{created.name}?done=created")

    @get("/{name:str}", name="web:connection")
    async def detail(self, request: Req, name: StrPath) -> Response[Any]:
        connection = await _service(request).get(name)
        spec = request.app.state.plugins.connector(connection.plugin).spec
        return render(
            request,
            "connections/detail.html",
            connection=connection,
            spec=spec,
            receives=Capability.RECEIVE in spec.capabilities,
            flash=flash(request),
            check=None,
        )

    @get("/{name:str}/edit", name="web:connection-edit")
    async def edit(self, request: Req, name: StrPath) -> Response[Any]:
        connection = await _service(request).get(name)
        return self._form(
            request,
            connection.plugin,
            values=connection.config,
            name=name,
            secrets_set=connection.secrets_set,
            editing=True,
        )

    @post("/{name:str}/edit", opt=EDIT, name="web:connection-update")
    async def update(self, request: Req, name: StrPath) -> Response[Any]:
        service = _service(request)
        connection = await service.get(name)
        spec = request.app.state.plugins.connector(connection.plugin).spec
        form = await form_data(request)
        try:
            config = read_config(spec.config_schema(), form)
            await service.update(name, config=config, actor=session_of(request).actor)
        except ConfigError as exc:
            public = {k: v for k, v in form.items() if k not in spec.secret_fields}
            return self._form(
                request,
                connection.plugin,
                values=public,
                name=name,
                error=str(exc),
                raw=True,
                secrets_set=connection.secrets_set,
                editing=True,
            )
        return see_other(f"/admin/connections/{name}?done=saved")

    @post("/{name:str}/check", opt=EDIT, name="web:connection-check")
    async def check(self, request: Req, name: StrPath) -> Response[Any]:
        service = _service(request)
        connection = await service.get(name)
        spec = request.app.state.plugins.connector(connection.plugin).spec
        try:
            result = await service.check(name, actor=session_of(request).actor)
            outcome = {"ok": result.ok, "message": result.message}
        except ConfigError as exc:
            outcome = {"ok": False, "message": str(exc)}
        return render(
            request,
            "connections/detail.html",
            connection=connection,
            spec=spec,
            receives=Capability.RECEIVE in spec.capabilities,
            flash=None,
            check=outcome,
        )

    @post("/{name:str}/rotate-key", opt=EDIT, name="web:connection-rotate-key")
    async def rotate_key(self, request: Req, name: StrPath) -> Response[Any]:
        service = _service(request)
        key = await service.rotate_write_key(name, actor=session_of(request).actor)
        return render(
            request,
            "connections/write_key.html",
            connection=await service.get(name),
            write_key=key,
        )

    def _form(
        self,
        request: Req,
        plugin: str,
        *,
        values: dict[str, Any],
        name: str,
        error: str = "",
        raw: bool = False,
        secrets_set: tuple[str, ...] = (),
        editing: bool = False,
    ) -> Response[Any]:
        spec = request.app.state.plugins.connector(plugin).spec
        schema = spec.config_schema()
        fields = fields_for(schema, None if raw else values, secrets_set)
        if raw:
            # Re-show what was typed (as typed), except secrets, which are never echoed.
            fields = [
                f if f.widget == "secret" else replace(f, value=values.get(f.name, ""))
                for f in fields
            ]
        return render(
            request,
            "connections/form.html",
            status_code=400 if error else 200,
            spec=spec,
            fields=fields,
            name=name,
            editing=editing,
            flash=error_flash(request, error) if error else None,
            title=gettext(request)("Edit {name}", name=name) if editing else spec.title,
        )
