"""The web admin: server-rendered pages under /admin (Jinja2, no front-end build).

:func:`web_handlers` returns the login controller (public) and one router holding every
other page behind :func:`~junction.admin.web.auth.require_user` (session, role, CSRF).
"""

from __future__ import annotations

from typing import Any

from litestar import Router

from junction.admin.web.auth import require_user
from junction.admin.web.controllers.audit import AuditController
from junction.admin.web.controllers.connections import ConnectionController
from junction.admin.web.controllers.dashboard import DashboardController
from junction.admin.web.controllers.login import LoginController
from junction.admin.web.controllers.profiles import ProfileController
from junction.admin.web.controllers.segments import SegmentController
from junction.admin.web.controllers.syncs import RunController, SyncController
from junction.admin.web.controllers.tokens import TokenController, UserController
from junction.admin.web.errors import WEB_EXCEPTION_HANDLERS


def web_handlers() -> list[Any]:
    pages = Router(
        path="/admin",
        route_handlers=[
            DashboardController,
            ConnectionController,
            SegmentController,
            SyncController,
            RunController,
            ProfileController,
            AuditController,
            TokenController,
            UserController,
        ],
        guards=[require_user],
        exception_handlers=WEB_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )
    public = Router(
        path="/",
        route_handlers=[LoginController],
        exception_handlers=WEB_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )
    return [public, pages]


__all__ = ["web_handlers"]
