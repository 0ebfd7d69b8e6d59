"""Segments: a condition editor (structured rows + JSON), live preview, history, holdout."""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Response, get, post

from junction.admin.web.auth import session_of
from junction.admin.web.charts import size_chart
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
from junction.admin.web.queries import segment_history
from junction.admin.web.render import render
from junction.core.model import ModelError
from junction.core.segments import api
from junction.core.segments.splits import HOLDOUT, Split

TREATED = "treated"
EXAMPLE = {"type": "all", "conditions": [{"type": "consent", "purpose": "ads"}]}


def holdout_percent(splits: list[Split]) -> str:
    """The holdout share of a holdout/treated split, as the form shows it ("" for none)."""
    weights = {split.variant: split.weight for split in splits}
    if set(weights) == {HOLDOUT, TREATED} and sum(weights.values()) == 100:
        return str(weights[HOLDOUT])
    return ""


def splits_from(form: dict[str, str], current: list[Split]) -> list[Split]:
    """Splits from the form's holdout percentage; other split shapes are kept as they are.

    Raises:
        ModelError: the percentage is not a whole number from 0 to 99.
    """
    text = form.get("holdout_percent", "").strip()
    if not text:
        return current if current and not holdout_percent(current) else []
    try:
        share = int(text)
    except ValueError:
        share = -1
    if not 0 <= share <= 99:
        raise ModelError("the holdout is a whole percentage from 0 to 99", "$.splits")
    if share == 0:
        return []
    return [Split(variant=HOLDOUT, weight=share), Split(variant=TREATED, weight=100 - share)]


def condition_from(form: dict[str, str]) -> dict[str, Any]:
    try:
        condition = json.loads(form.get("condition", ""))
    except ValueError as exc:
        raise ModelError(f"the condition is not valid JSON: {exc}", "$.condition") from None
    if not isinstance(condition, dict):
        raise ModelError("the condition must be a JSON object", "$.condition")
    return condition


class SegmentController(Controller):
    path = "/segments"

    @get("/", name="web:segments")
    async def index(self, request: Req) -> Response[Any]:
        segments = await api.list_all(request.app.state.db)
        return render(request, "segments/list.html", segments=segments, flash=flash(request))

    @get("/new", name="web:segment-new")
    async def new(self, request: Req) -> Response[Any]:
        return self._form(request, name="", description="", condition=EXAMPLE, holdout="")

    @post("/new", opt=EDIT, name="web:segment-create")
    async def create(self, request: Req) -> Response[Any]:
        form = await form_data(request)
        name = form.get("name", "").strip()
        try:
            body = api.SegmentCreate(
                name=name,
                condition=condition_from(form),
                description=form.get("description", ""),
                splits=splits_from(form, []),
            )
            await api.create(request.app.state.db, body, actor=session_of(request).actor)
        except ModelError as exc:
            return self._form(
                request,
                name=name,
                description=form.get("description", ""),
                condition=form.get("condition", ""),
                holdout=form.get("holdout_percent", ""),
                error=str(exc),
            )
        return see_other(f"/admin/segments/{name}?done=created")

    @post("/preview", name="web:segment-preview")
    async def preview(self, request: Req) -> Response[Any]:
        """Count and masked sample of the posted definition; saves nothing (any role)."""
        form = await form_data(request)
        state = request.app.state
        try:
            result = await api.preview_definition(
                state.db,
                api.PreviewRequest(condition=condition_from(form), sample_size=10),
                box=state.secrets,
            )
        except ModelError as exc:
            return render(request, "segments/_preview.html", preview=None, error=str(exc))
        return render(request, "segments/_preview.html", preview=result, error="")

    @get("/{name:str}", name="web:segment")
    async def detail(self, request: Req, name: StrPath) -> Response[Any]:
        db = request.app.state.db
        segment = await api.read(db, name)
        history = await segment_history(db, name)
        return render(
            request,
            "segments/detail.html",
            segment=segment,
            history=history,
            chart=size_chart([(point.as_of, point.members) for point in history]),
            flash=flash(request),
        )

    @get("/{name:str}/edit", name="web:segment-edit")
    async def edit(self, request: Req, name: StrPath) -> Response[Any]:
        segment = await api.read(request.app.state.db, name)
        return self._form(
            request,
            name=name,
            description=segment.description,
            condition=segment.condition,
            holdout=holdout_percent(segment.splits),
            editing=True,
        )

    @post("/{name:str}/edit", opt=EDIT, name="web:segment-update")
    async def update(self, request: Req, name: StrPath) -> Response[Any]:
        db = request.app.state.db
        current = await api.read(db, name)
        form = await form_data(request)
        try:
            body = api.SegmentUpdate(
                condition=condition_from(form),
                description=form.get("description", ""),
                splits=splits_from(form, current.splits),
            )
            await api.change(db, name, body, actor=session_of(request).actor)
        except ModelError as exc:
            return self._form(
                request,
                name=name,
                description=form.get("description", ""),
                condition=form.get("condition", ""),
                holdout=form.get("holdout_percent", ""),
                error=str(exc),
                editing=True,
            )
        return see_other(f"/admin/segments/{name}?done=saved")

    @post("/{name:str}/compute", opt=EDIT, name="web:segment-compute")
    async def compute(self, request: Req, name: StrPath) -> Response[Any]:
        await api.compute(request.app.state.db, name, actor=session_of(request).actor)
        return see_other(f"/admin/segments/{name}?done=computed")

    def _form(
        self,
        request: Req,
        *,
        name: str,
        description: str,
        condition: dict[str, Any] | str,
        holdout: str,
        error: str = "",
        editing: bool = False,
    ) -> Response[Any]:
        text = condition if isinstance(condition, str) else json.dumps(condition, indent=2)
        _ = gettext(request)
        return render(
            request,
            "segments/form.html",
            status_code=400 if error else 200,
            title=_("Edit {name}", name=name) if editing else _("New segment"),
            name=name,
            description=description,
            condition=text,
            holdout=holdout,
            editing=editing,
            flash=error_flash(request, error) if error else None,
        )
