"""Operator notifications through the group robot."""

from __future__ import annotations

import pytest

from junction.destinations.wecom import WeCom
from junction.plugins import (
    AuthFailed,
    ConfigInvalid,
    Notification,
    OutcomeUnknown,
    PermanentFailure,
    RateLimited,
    Retryable,
)

from ...fakes.wecom import FakeWeCom
from .common import APP, ROBOT, ROBOT_KEY, VALID, context

FAILED = Notification(
    title="Junction: sync welcome run 7 failed",
    text="planned 3 · accepted 0 · dead-lettered 0 · unknown 0 · failed 3\nerror: refused",
    url="https://hub.example/admin/runs/7",
    severity="error",
)


async def test_a_failed_run_is_posted_as_markdown_with_its_link() -> None:
    fake = FakeWeCom()
    await WeCom().notify(context(fake), FAILED)
    [(key, body)] = fake.robot_posts
    assert key == ROBOT_KEY and body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert content.startswith("**Junction: sync welcome run 7 failed**")
    assert '<font color="warning">error</font>' in content
    assert "error: refused" in content
    assert content.endswith("[Open the run](https://hub.example/admin/runs/7)")


async def test_text_format_mentions_people_and_keeps_the_link() -> None:
    fake = FakeWeCom()
    config = {**ROBOT, "notify_format": "text", "mention": ["@all"]}
    await WeCom().notify(context(fake, config), FAILED)
    [(_, body)] = fake.robot_posts
    assert body["text"]["mentioned_list"] == ["@all"]
    assert body["text"]["content"].splitlines()[-1] == "https://hub.example/admin/runs/7"


@pytest.mark.parametrize(("fmt", "cap"), [("markdown", 4096), ("text", 2048)])
async def test_long_chinese_text_is_cut_to_the_cap_and_still_delivered(fmt: str, cap: int) -> None:
    fake = FakeWeCom()
    long = Notification(title="同步失败", text="错误详情" * 2000, url="https://hub.example/r/1")
    await WeCom().notify(context(fake, {**ROBOT, "notify_format": fmt}), long)
    [(_, body)] = fake.robot_posts  # the fake refuses anything over the cap (40058)
    content = body[fmt]["content"]
    assert len(content.encode()) <= cap
    assert "…(truncated)" in content
    assert content.endswith(
        "https://hub.example/r/1" if fmt == "text" else "(https://hub.example/r/1)"
    )


async def test_the_21st_message_in_a_minute_is_rate_limited() -> None:
    now = [1000.0]
    fake = FakeWeCom(clock=lambda: now[0])
    connector, ctx = WeCom(), context(fake)
    for _ in range(20):
        await connector.notify(ctx, FAILED)
    with pytest.raises(RateLimited) as caught:
        await connector.notify(ctx, FAILED)
    assert caught.value.code == "45009" and caught.value.retry_after == 60
    now[0] += 60
    await connector.notify(ctx, FAILED)
    assert len(fake.robot_posts) == 21


async def test_a_removed_robot_is_an_auth_failure_without_the_key() -> None:
    fake = FakeWeCom(robot_keys={"another-robot-key-000"})
    with pytest.raises(AuthFailed) as caught:
        await WeCom().notify(context(fake), FAILED)
    assert caught.value.code == "93000"
    assert "removed" in caught.value.message and ROBOT_KEY not in caught.value.message


@pytest.mark.parametrize(
    ("fault", "error"),
    [("busy", Retryable), ("refused", Retryable), ("timeout", OutcomeUnknown)],
)
async def test_platform_faults_map_to_what_the_engine_does_next(
    fault: str, error: type[Exception]
) -> None:
    fake = FakeWeCom()
    fake.robot_faults.append(fault)
    with pytest.raises(error) as caught:
        await WeCom().notify(context(fake), FAILED)
    assert ROBOT_KEY not in str(caught.value)
    assert fake.robot_posts == []


async def test_an_app_only_connection_says_it_cannot_notify() -> None:
    with pytest.raises(ConfigInvalid, match="no group robot: set webhook_key") as caught:
        await WeCom().notify(context(FakeWeCom(), APP), FAILED)
    assert caught.value.field == "webhook_key"


async def test_check_reports_what_is_configured() -> None:
    fake = FakeWeCom()
    both = await WeCom().check(context(fake))
    assert both.ok and both.details == {"notify": True, "message": True}
    robot_only = await WeCom().check(context(fake, ROBOT))
    assert robot_only.ok and "no application, so no app messages" in robot_only.message
    assert fake.robot_posts == []  # the probe delivers nothing
    bad_key = await WeCom().check(context(FakeWeCom(robot_keys=set()), VALID))
    assert not bad_key.ok and "robot" in bad_key.message


async def test_a_link_too_long_to_leave_room_for_text_is_refused_not_cut() -> None:
    fake = FakeWeCom()
    absurd = Notification(title="t", text="x", url="https://hub.example/" + "r" * 5000)
    with pytest.raises(PermanentFailure, match="4096 bytes"):
        await WeCom().notify(context(fake), absurd)
    assert fake.robot_posts == []
