"""The ``webhook`` destination: the conformance kit in one call, then the wire contract
against the strict fake (signature, payloads, and how each failure is reported)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest

from junction.destinations.webhook import Webhook, WebhookConfig, sign
from junction.plugins import (
    Audience,
    AuthFailed,
    ConnectorContext,
    Member,
    PermanentFailure,
    PreparedIdentifier,
    RateLimited,
    RecordStatus,
    ReplaceSession,
    Retryable,
)
from junction.plugins.testing import ConformanceCase, conformance_suite

from ..fakes.webhook import FakeWebhook

SECRET = "whsec-conformance-0123456789"
URL = "https://hooks.example/hooks/junction"
VALID = {"url": URL, "signing_secret": SECRET}
BAD = {"url": URL, "signing_secret": "whsec-wrong-secret-987654321"}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def member(key: str, kind: str, value: str) -> Member:
    return Member(
        key=key,
        identifiers=(PreparedIdentifier(type=kind.split("_")[0], value=value, platform_key=kind),),
    )


MEMBERS = (
    member("k1", "email_sha256", sha256("ada@example.com")),
    member("k2", "phone_sha256", sha256("+8613800000000")),
    member("k3", "user_id", "u-42"),
    member("k4", "email_sha256", "grace@example.com"),  # not hashed: rejected alone
)

TestWebhookConformance = conformance_suite(
    ConformanceCase(
        connector=Webhook,
        valid_config=VALID,
        bad_credentials_config=BAD,
        transport_factory=lambda: FakeWebhook(SECRET).transport(),
        sample_members=MEMBERS,
    )
)

AUDIENCE = Audience(id="vips", name="vips")


def context(transport: httpx.AsyncBaseTransport, **config: Any) -> ConnectorContext[WebhookConfig]:
    return ConnectorContext(
        connection="hook", config=WebhookConfig(**{**VALID, **config}), transport=transport
    )


def test_the_signature_is_hmac_sha256_over_timestamp_and_body() -> None:
    body = b'{"type":"ping"}'
    expected = hmac.new(SECRET.encode(), b"1767225600." + body, hashlib.sha256).hexdigest()
    assert sign(SECRET, 1767225600, body) == f"v1={expected}"


async def test_adds_are_signed_and_shaped_as_documented() -> None:
    seen: list[httpx.Request] = []
    fake = FakeWebhook(SECRET)
    inner = fake.transport()

    async def capture(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return await inner.handle_async_request(request)

    result = await Webhook().add(context(httpx.MockTransport(capture)), AUDIENCE, MEMBERS)
    statuses = {r.key: r.status for r in result.results}
    assert statuses == {
        "k1": RecordStatus.ACCEPTED,
        "k2": RecordStatus.ACCEPTED,
        "k3": RecordStatus.ACCEPTED,
        "k4": RecordStatus.REJECTED,
    }
    request = seen[0]
    stamp = request.headers["X-Junction-Timestamp"]
    assert request.headers["X-Junction-Signature"] == sign(SECRET, int(stamp), request.content)
    body = json.loads(request.content)
    assert body["type"] == "audience.add" and body["audience"] == {"id": "vips", "name": "vips"}
    assert body["members"][0] == {
        "key": "k1",
        "identifiers": [{"type": "email_sha256", "value": sha256("ada@example.com")}],
    }
    assert fake.members["vips"] == {
        (("email_sha256", sha256("ada@example.com")),),
        (("phone_sha256", sha256("+8613800000000")),),
        (("user_id", "u-42"),),
    }


def rekeyed(prefix: str, members: tuple[Member, ...]) -> tuple[Member, ...]:
    """The same people as new operations (each change has its own key)."""
    return tuple(Member(key=f"{prefix}{m.key}", identifiers=m.identifiers) for m in members)


async def test_removes_and_replacements() -> None:
    fake = FakeWebhook(SECRET)
    hook, ctx = Webhook(), context(fake.transport())
    await hook.add(ctx, AUDIENCE, MEMBERS[:3])
    await hook.remove(ctx, AUDIENCE, rekeyed("r", MEMBERS[:1]))
    assert len(fake.members["vips"]) == 2
    first = ReplaceSession(id="s", seq=1, last=False)
    await hook.replace(ctx, AUDIENCE, rekeyed("s1", MEMBERS[2:3]), first)
    assert len(fake.members["vips"]) == 2  # not swapped before the last batch
    last = ReplaceSession(id="s", seq=2, last=True)
    await hook.replace(ctx, AUDIENCE, rekeyed("s2", MEMBERS[:1]), last)
    assert fake.members["vips"] == {
        (("user_id", "u-42"),),
        (("email_sha256", sha256("ada@example.com")),),
    }
    assert fake.bodies[-1]["session"] == {"id": "s", "seq": 2, "last": True}


@pytest.mark.parametrize(
    ("fault", "error", "retry_after"),
    [
        ("429", RateLimited, 3.0),
        ("500", Retryable, 3.0),
        ("timeout", Retryable, None),
        ("drop", Retryable, None),
    ],
)
async def test_failures_map_onto_the_error_hierarchy(
    fault: str, error: type[Exception], retry_after: float | None
) -> None:
    fake = FakeWebhook(SECRET, fault_rate=1.0, faults=(fault,), retry_after=3)
    with pytest.raises(error) as caught:
        await Webhook().add(context(fake.transport()), AUDIENCE, MEMBERS[:1])
    assert getattr(caught.value, "retry_after", None) == retry_after


async def test_a_wrong_secret_is_an_auth_failure_and_leaks_nothing() -> None:
    fake = FakeWebhook("whsec-the-receivers-own-secret")
    with pytest.raises(AuthFailed, match="check the signing secret") as caught:
        await Webhook().add(context(fake.transport()), AUDIENCE, MEMBERS[:1])
    assert SECRET not in str(caught.value)
    result = await Webhook().check(context(fake.transport()))
    assert not result.ok and "refused the signature" in result.message


async def test_a_malformed_batch_is_a_permanent_failure() -> None:
    fake = FakeWebhook(SECRET)
    twice = (MEMBERS[0], MEMBERS[0])
    with pytest.raises(PermanentFailure, match="HTTP 400"):
        await Webhook().add(context(fake.transport()), AUDIENCE, twice)


async def test_an_empty_success_accepts_everything_and_missing_results_are_retried() -> None:
    answers = iter([httpx.Response(204), httpx.Response(200, json={"results": []})])
    transport = httpx.MockTransport(lambda request: next(answers))
    hook, ctx = Webhook(), context(transport)
    first = await hook.add(ctx, AUDIENCE, MEMBERS[:2])
    assert {r.status for r in first.results} == {RecordStatus.ACCEPTED}
    second = await hook.add(ctx, AUDIENCE, MEMBERS[:2])
    assert {r.status for r in second.results} == {RecordStatus.RETRY}


async def test_retry_after_as_an_http_date() -> None:
    response = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    with pytest.raises(RateLimited) as caught:
        await Webhook().add(context(httpx.MockTransport(lambda r: response)), AUDIENCE, MEMBERS[:1])
    assert caught.value.retry_after == 0.0  # a date in the past: no wait
