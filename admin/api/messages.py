"""/api/v1/messages/preview: render a message template for a profile or sample traits."""

from __future__ import annotations

from typing import Any, ClassVar

from litestar import Controller, Request, post
from litestar.params import JSONBody

from junction.core.messaging import PreviewRequest, Rendered, preview_message


class MessageController(Controller):
    path = "/messages"
    tags: ClassVar[list[str]] = ["messages"]

    @post("/preview", status_code=200)
    async def preview(
        self, request: Request[Any, Any, Any], data: JSONBody[PreviewRequest]
    ) -> Rendered:
        """Render a template as a message sync would; every missing variable is a 400."""
        return await preview_message(request.app.state.db, data)
