"""The follower pull: every follower of the account as a profile record.

A *pass* walks ``user/get`` (10,000 openids a page, continued by ``next_openid``) and
fetches each page's details with ``user/info/batchget`` (100 openids a call). The
state after each page says which pass this is, when it started and where the next
page starts, so a crashed run resumes at the page it was on. Every record of a pass
is observed at the pass's start: re-reading a page yields the same records, which
the hub stores once.

A pass that finished is not started again until ``full_pull_every_hours`` later; the
next one starts over from the first page and observes everyone anew, so changed
traits win over those of the pass before.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import msgspec

from junction.plugins import Checkpoint, ConnectorContext, PermanentFailure, Record
from junction.sources.wechat_oa.api import WechatApi
from junction.sources.wechat_oa.config import WechatOaConfig
from junction.sources.wechat_oa.profiles import profile_of

__all__ = ["BATCHGET_MAX", "PullState", "read_followers"]

_T = TypeVar("_T")

#: ``user/info/batchget`` takes at most this many openids.
BATCHGET_MAX = 100


class PullState(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The checkpointed state of the follower pull (JSON-safe)."""

    #: The pass number, 1 for the first.
    pass_: int = msgspec.field(default=0, name="pass")
    #: When the pass started: every record of it is observed at this time.
    started_at: datetime | None = None
    #: Where the next page starts ("" for the first).
    next_openid: str = ""
    #: When the pass finished; None while it runs.
    finished_at: datetime | None = None

    def to_state(self) -> dict[str, Any]:
        return msgspec.to_builtins(self)


class _Page(msgspec.Struct):
    count: int = 0
    data: _Openids | None = None
    next_openid: str = ""


class _Openids(msgspec.Struct):
    openid: list[str] = []


class _Details(msgspec.Struct):
    user_info_list: list[dict[str, Any]] = []


def _load(state: dict[str, Any]) -> PullState:
    try:
        return msgspec.convert(state, PullState, strict=False)
    except msgspec.ValidationError as exc:
        raise PermanentFailure(f"the saved follower-pull state is unreadable ({exc})") from None


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def read_followers(
    ctx: ConnectorContext[WechatOaConfig], api: WechatApi
) -> AsyncIterator[Record | Checkpoint]:
    """Yield a profile record per follower, and a checkpoint after each page."""
    config = ctx.config
    state = _load(ctx.state)
    now = ctx.now()
    if state.finished_at is not None:
        due = state.finished_at + timedelta(hours=config.full_pull_every_hours)
        if now < due:
            ctx.log.info(
                "follower pull %d finished at %s; the next starts after %s",
                state.pass_,
                state.finished_at.isoformat(),
                due.isoformat(),
            )
            return
    if state.started_at is None or state.finished_at is not None:
        state = PullState(pass_=state.pass_ + 1, started_at=now)
        ctx.log.info("follower pull %d starts", state.pass_)
    observed_at = state.started_at
    assert observed_at is not None
    tags = await _tag_names(api)
    while True:
        params = {"next_openid": state.next_openid} if state.next_openid else {}
        page = _decode(await api.get("user/get", **params), _Page, "user/get")
        openids = page.data.openid if page.data is not None else []
        for chunk in _chunks(openids, BATCHGET_MAX):
            body = {"user_list": [{"openid": o, "lang": config.language.value} for o in chunk]}
            details = _decode(await api.post("user/info/batchget", body), _Details, "batchget")
            for info in details.user_info_list:
                yield profile_of(info, app_id=config.app_id, tags=tags, observed_at=observed_at)
        # WeChat repeats the last openid as next_openid on the last page, so only an
        # empty page (or no next_openid at all) ends the pass.
        if not openids or not page.next_openid:
            state.next_openid = ""
            state.finished_at = ctx.now()
            ctx.log.info("follower pull %d finished", state.pass_)
            yield Checkpoint(state=state.to_state())
            return
        if page.next_openid == state.next_openid:
            raise PermanentFailure(
                f"user/get: WeChat returned next_openid {page.next_openid!r} again; the "
                "follower list does not advance"
            )
        state.next_openid = page.next_openid
        yield Checkpoint(state=state.to_state())


async def _tag_names(api: WechatApi) -> dict[int, str]:
    answer = await api.get("tags/get")
    tags = answer.get("tags", [])
    if not isinstance(tags, list):
        raise PermanentFailure("tags/get: WeChat answered without a list of tags")
    return {
        tag["id"]: str(tag["name"])
        for tag in tags
        if isinstance(tag, dict) and isinstance(tag.get("id"), int) and tag.get("name")
    }


def _decode(answer: dict[str, Any], kind: type[_T], call: str) -> _T:
    try:
        return msgspec.convert(answer, kind)
    except msgspec.ValidationError as exc:
        raise PermanentFailure(f"{call}: WeChat answered in an unexpected shape ({exc})") from None
