"""What every admin controller shares: role options, form reading, flash messages."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response
from litestar.params import PathParameter

from junction.admin.web.i18n import translator
from junction.admin.web.render import language
from junction.core.api_tokens import Role

Req = Request[Any, Any, Any]
StrPath = Annotated[str, PathParameter()]
IntPath = Annotated[int, PathParameter()]

EDIT: dict[str, Any] = {"role": Role.EDITOR}
ADMIN: dict[str, Any] = {"role": Role.ADMIN}

#: Messages a redirect after a successful POST can ask the next page to show.
DONE = {
    "created": "Created.",
    "saved": "Saved.",
    "queued": "Run queued.",
    "enabled": "Enabled.",
    "paused": "Paused.",
    "revoked": "Revoked.",
    "computed": "Computed.",
    "disabled": "Disabled.",
    "replayed": "Dead letters queued for replay.",
}


async def form_data(request: Req) -> dict[str, str]:
    """The submitted form as a plain dict (last value wins), without the CSRF field."""
    form = await request.form()
    return {key: str(value) for key, value in form.items() if key != "_csrf"}


def flash(request: Req) -> dict[str, str] | None:
    """The message a redirect asked for with ``?done=...``, translated."""
    code = request.query_params.get("done")
    if code not in DONE:
        return None
    return {"kind": "ok", "text": translator(language(request))(DONE[code])}


def error_flash(request: Req, message: str) -> dict[str, str]:
    return {"kind": "bad", "text": message}


def see_other(location: str) -> Response[Any]:
    return Response(b"", status_code=303, headers={"location": location})


def gettext(request: Req) -> Any:
    return translator(language(request))
