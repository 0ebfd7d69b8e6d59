"""Cron schedules of syncs: see :mod:`junction.core.cron`."""

from junction.core.cron import check_cron, last_tick, next_tick

__all__ = ["check_cron", "last_tick", "next_tick"]
