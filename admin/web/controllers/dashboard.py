"""The dashboard: recent runs, failures, dead letters and ingestion volumes."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get

from junction.admin.web.controllers.common import Req
from junction.admin.web.queries import count_rows, daily_volumes
from junction.admin.web.render import render
from junction.core.connections import Connections
from junction.core.db.tables import Profile, Segment
from junction.core.sync import list_dead_letters, list_runs, list_syncs

PROBLEM_STATUSES = ("failed", "partial")


class DashboardController(Controller):
    path = "/"

    @get("/", name="web:dashboard")
    async def dashboard(self, request: Req) -> Response[Any]:
        state = request.app.state
        db = state.db
        runs = await list_runs(db, limit=100)
        return render(
            request,
            "dashboard.html",
            recent=runs[:10],
            failures=[run for run in runs if run.status in PROBLEM_STATUSES][:10],
            dead_letters=len(await list_dead_letters(db, limit=1000)),
            volumes=await daily_volumes(db),
            counts={
                "Connections": len(await Connections(db, state.plugins, state.secrets).list()),
                "Segments": await count_rows(db, Segment),
                "Syncs": len(await list_syncs(db)),
                "Profiles": await count_rows(db, Profile),
            },
        )
