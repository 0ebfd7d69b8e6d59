"""The REST API under /api/v1: token auth on every route, one JSON error shape."""

from __future__ import annotations

from litestar import Router

from junction.admin.api.auth import require_token
from junction.admin.api.messages import MessageController
from junction.admin.api.profiles import ProfileController
from junction.admin.api.segments import SegmentController
from junction.admin.api.syncs import MatchController, RunController, SyncController


def api_router() -> Router:
    return Router(
        path="/api/v1",
        route_handlers=[
            ProfileController,
            SegmentController,
            SyncController,
            RunController,
            MatchController,
            MessageController,
        ],
        guards=[require_token],
    )


__all__ = ["api_router"]
