"""The follower pull: pages, batches, records, checkpoints, resuming and new passes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from junction.core.model import Identifier, IdentifierType
from junction.plugins import (
    Checkpoint,
    ConnectorContext,
    PermanentFailure,
    ProfileRecord,
    RateLimited,
    Record,
)
from junction.sources.wechat_oa import WechatOaSource
from tests.fakes.wechat_oa import FakeWechat

from .conftest import APP_ID, TAGS, MakeContext, config, followers

Items = list[Record | Checkpoint]


async def read(make_ctx: MakeContext, state: dict[str, Any] | None = None, **kw: Any) -> Items:
    return [item async for item in WechatOaSource().read(make_ctx(state=state, **kw))]


def profiles(items: Sequence[Record | Checkpoint]) -> list[ProfileRecord]:
    return [item for item in items if isinstance(item, ProfileRecord)]


def checkpoints(items: Sequence[Record | Checkpoint]) -> list[dict[str, Any]]:
    return [item.state for item in items if isinstance(item, Checkpoint)]


def big_account(count: int, page_size: int) -> FakeWechat:
    return FakeWechat(
        app_id=APP_ID,
        app_secret="a1b2c3d4e5f60718293a4b5c6d7e8f90",
        followers=followers(count),
        tags=TAGS,
        page_size=page_size,
    )


@pytest.fixture
def fake() -> FakeWechat:
    # 250 followers in pages of 120: batches of 100 + 20, 100 + 20, 10, then an empty page.
    return big_account(250, page_size=120)


async def test_every_follower_is_read_once_in_batches_of_at_most_100(
    fake: FakeWechat, make_ctx: MakeContext
) -> None:
    items = await read(make_ctx)
    openids = [p.identifiers[0].value for p in profiles(items)]
    assert openids == sorted(fake.followers)
    sizes = [len(json.loads(call[3])["user_list"]) for call in fake.calls_to("user/info/batchget")]
    assert sizes == [100, 20, 100, 20, 10]
    pages = [call[2].get("next_openid") for call in fake.calls_to("user/get")]
    assert pages == [None, "oF00119xyz", "oF00239xyz", "oF00249xyz"]
    assert len(fake.calls_to("tags/get")) == 1


async def test_a_follower_becomes_a_profile_with_scoped_openid_unionid_traits_and_tags(
    make_ctx: MakeContext, fake: FakeWechat
) -> None:
    fake.followers["oF00015xyz"].remark = "老客户"
    fake.followers["oF00015xyz"].tagid_list = [2, 100, 999]  # 999 was deleted meanwhile
    items = await read(make_ctx)
    record = next(p for p in profiles(items) if p.identifiers[0].value == "oF00015xyz")
    assert record.identifiers == (
        Identifier(IdentifierType.WECHAT_OPENID, "oF00015xyz", APP_ID),
        Identifier(IdentifierType.WECHAT_UNIONID, "oU00015"),
    )
    assert record.traits == {
        "wechat_subscribed": True,
        "wechat_subscribe_time": "2024-04-24T23:06:55+00:00",
        "wechat_subscribe_scene": "ADD_SCENE_QR_CODE",
        "wechat_language": "zh_CN",
        "wechat_remark": "老客户",
        "wechat_tag_ids": [2, 100, 999],
        "wechat_tags": ["星标组", "vip"],
    }
    assert record.tags == ("星标组", "vip")
    # Records as the hub decodes them.
    msgspec.json.decode(msgspec.json.encode(record), type=Record)
    no_union = next(p for p in profiles(items) if p.identifiers[0].value == "oF00001xyz")
    assert len(no_union.identifiers) == 1 and no_union.tags == ()


async def test_someone_who_unfollowed_meanwhile_is_an_update_not_dropped(
    make_ctx: MakeContext, fake: FakeWechat
) -> None:
    # user/get listed them; by the batchget they had unfollowed.
    original = fake._batchget

    def unfollow_then_answer(params: dict[str, str], body: bytes) -> Any:
        fake.followers["oF00003xyz"].subscribed = False
        return original(params, body)

    fake._batchget = unfollow_then_answer  # type: ignore[method-assign]
    items = await read(make_ctx)
    record = next(p for p in profiles(items) if p.identifiers[0].value == "oF00003xyz")
    assert record.traits == {"wechat_subscribed": False}
    assert record.identifiers[1] == Identifier(IdentifierType.WECHAT_UNIONID, "oU00003")
    assert len(profiles(items)) == 250


async def test_a_checkpoint_follows_each_page_and_the_last_marks_the_pass_finished(
    make_ctx: MakeContext,
) -> None:
    items = await read(make_ctx)
    states = checkpoints(items)
    assert [s["next_openid"] for s in states[:-1]] == ["oF00119xyz", "oF00239xyz", "oF00249xyz"]
    assert all(s["pass"] == 1 and "finished_at" not in s for s in states[:-1])
    assert states[-1]["pass"] == 1 and states[-1]["finished_at"]
    assert len({s["started_at"] for s in states}) == 1
    # Each checkpoint comes after the records of its page.
    positions = [i for i, item in enumerate(items) if isinstance(item, Checkpoint)]
    assert positions[:3] == [120, 241, 252]


async def test_a_crashed_pass_resumes_at_its_page_and_repeats_only_identical_records(
    make_ctx: MakeContext,
) -> None:
    complete = await read(make_ctx)
    # The run died after the first checkpoint was committed.
    first_checkpoint = next(item for item in complete if isinstance(item, Checkpoint))
    resumed = await read(make_ctx, state=first_checkpoint.state)
    assert profiles(resumed) == profiles(complete)[120:]
    assert profiles(resumed)[0].identifiers[0].value == "oF00120xyz"
    assert checkpoints(resumed)[:2] == checkpoints(complete)[1:3]


async def test_a_quota_error_mid_pass_keeps_the_pages_before_it(
    make_ctx: MakeContext, fake: FakeWechat
) -> None:
    fake.quota = {"user/get": 2}
    items: Items = []

    async def drain() -> None:
        async for item in WechatOaSource().read(make_ctx()):
            items.append(item)

    with pytest.raises(RateLimited) as caught:
        await drain()
    assert caught.value.code == "45009"
    assert checkpoints(items)[-1]["next_openid"] == "oF00239xyz"
    assert len(profiles(items)) == 240


async def test_a_finished_pass_is_not_restarted_until_it_is_due(
    make_ctx: MakeContext, fake: FakeWechat
) -> None:
    done = checkpoints(await read(make_ctx))[-1]
    calls = len(fake.calls)
    assert await read(make_ctx, state=done) == []
    assert len(fake.calls) == calls, "a pull that is not due calls nothing"
    # A day later (or with full_pull_every_hours 0) a new pass observes everyone anew.
    finished = datetime.fromisoformat(done["finished_at"])
    day_old = {**done, "finished_at": (finished - timedelta(hours=24)).isoformat()}
    again = await read(make_ctx, state=day_old)
    assert len(profiles(again)) == 250
    assert checkpoints(again)[0]["pass"] == 2
    assert profiles(again)[0].observed_at >= datetime.fromisoformat(done["started_at"])
    assert checkpoints(again)[0]["started_at"] > done["started_at"]
    immediate = await read(make_ctx, state=done, full_pull_every_hours=0)
    assert checkpoints(immediate)[0]["pass"] == 2


async def test_records_of_a_pass_are_observed_at_its_start(make_ctx: MakeContext) -> None:
    state = {"pass": 4, "started_at": "2024-05-01T08:00:00+00:00", "next_openid": "oF00239xyz"}
    items = await read(make_ctx, state=state)
    assert {p.observed_at for p in profiles(items)} == {datetime(2024, 5, 1, 8, tzinfo=UTC)}
    assert profiles(items)[0].identifiers[0].value == "oF00240xyz"
    assert checkpoints(items)[-1]["pass"] == 4


async def test_an_unreadable_state_is_refused_clearly(make_ctx: MakeContext) -> None:
    with pytest.raises(PermanentFailure, match="follower-pull state"):
        await read(make_ctx, state={"pass": "many"})


async def test_an_empty_account_yields_only_the_finishing_checkpoint() -> None:
    empty = FakeWechat(app_id=APP_ID, app_secret="a1b2c3d4e5f60718293a4b5c6d7e8f90")
    ctx = ConnectorContext(connection="t", config=config(), transport=empty.transport())
    items = [item async for item in WechatOaSource().read(ctx)]
    assert len(items) == 1 and isinstance(items[0], Checkpoint)
    assert items[0].state["finished_at"]
    assert not empty.calls_to("user/info/batchget")
