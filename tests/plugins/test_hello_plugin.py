"""junction-hello against its fake: error mapping, partial failures, routes and commands."""

from __future__ import annotations

import hashlib

import click
import httpx
import pytest
from click.testing import CliRunner
from junction_hello.connector import HelloWebhook, HelloWebhookConfig
from junction_hello.fake import MAX_BATCH_RECORDS, FakeHello
from litestar import Litestar
from litestar.testing import TestClient

from junction.plugins import (
    Audience,
    AudienceRequest,
    AuthFailed,
    ConnectorContext,
    Member,
    PermanentFailure,
    PreparedIdentifier,
    RateLimited,
    RecordStatus,
    Retryable,
)
from junction.plugins.manager import load_plugins

TOKEN = "hello-good-token-1234"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def member(key: str, value: str, platform_key: str = "email_sha256") -> Member:
    identifier = PreparedIdentifier(type="email", value=value, platform_key=platform_key)
    return Member(key=key, identifiers=(identifier,))


@pytest.fixture
def fake() -> FakeHello:
    return FakeHello(token=TOKEN)


def context(
    fake: FakeHello, token: str = TOKEN, url: str = "https://hello.example"
) -> ConnectorContext[HelloWebhookConfig]:
    config = HelloWebhookConfig(url=url, token=token)
    return ConnectorContext(connection="hello-test", config=config, transport=fake.transport())


@pytest.fixture
def ctx(fake: FakeHello) -> ConnectorContext[HelloWebhookConfig]:
    return context(fake)


@pytest.fixture
async def audience(ctx: ConnectorContext[HelloWebhookConfig]) -> Audience:
    return await HelloWebhook().ensure_audience(ctx, AudienceRequest(name="VIPs"))


async def test_check_names_the_account(fake: FakeHello, ctx: ConnectorContext) -> None:
    result = await HelloWebhook().check(ctx)
    assert result.ok
    assert result.message == "Connected to Hello account acme."
    assert fake.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


async def test_check_reports_a_refused_token_without_showing_it(fake: FakeHello) -> None:
    result = await HelloWebhook().check(context(fake, token="hello-wrong-token-5678"))
    assert not result.ok
    assert "refused the API token (HTTP 401)" in result.message
    assert "hello-wrong-token-5678" not in result.message


async def test_check_reports_an_unreachable_host(fake: FakeHello) -> None:
    result = await HelloWebhook().check(context(fake, url="https://elsewhere.example"))
    assert not result.ok
    assert result.message == "could not reach Hello at https://elsewhere.example (ConnectError)"


async def test_a_refused_token_fails_an_add_with_auth_failed(
    fake: FakeHello, audience: Audience
) -> None:
    with pytest.raises(AuthFailed) as failure:
        await HelloWebhook().add(context(fake, token="hello-wrong-token-5678"), audience, [])
    assert failure.value.code == "invalid_token"


async def test_429_is_rate_limited_with_retry_after(
    fake: FakeHello, ctx: ConnectorContext, audience: Audience
) -> None:
    fake.fail_next(429, retry_after=7)
    with pytest.raises(RateLimited) as failure:
        await HelloWebhook().add(ctx, audience, [member("m1", sha256("ada@example.com"))])
    assert failure.value.retry_after == 7.0


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_is_retryable_but_not_rate_limited(
    fake: FakeHello, ctx: ConnectorContext, audience: Audience, status: int
) -> None:
    fake.fail_next(status)
    with pytest.raises(Retryable) as failure:
        await HelloWebhook().remove(ctx, audience, [member("m1", sha256("ada@example.com"))])
    assert type(failure.value) is Retryable
    assert f"HTTP {status}" in failure.value.message


async def test_a_timeout_is_retryable(
    fake: FakeHello, ctx: ConnectorContext, audience: Audience
) -> None:
    fake.fail_next(timeout=True)
    with pytest.raises(Retryable, match="did not answer"):
        await HelloWebhook().add(ctx, audience, [member("m1", sha256("ada@example.com"))])


async def test_each_member_gets_its_own_outcome(
    fake: FakeHello, ctx: ConnectorContext, audience: Audience
) -> None:
    members = [
        member("ok-email", sha256("ada@example.com")),
        member("ok-phone", sha256("+8613800000000"), platform_key="phone_sha256"),
        member("upper-hex", sha256("grace@example.com").upper()),
        member("unhashed", "grace@example.com"),
    ]
    result = await HelloWebhook().add(ctx, audience, members)
    outcomes = {r.key: (r.status, r.reason) for r in result.results}
    not_sha256 = "email_sha256 is not a 64-character lowercase hex SHA-256 digest"
    assert outcomes == {
        "ok-email": (RecordStatus.ACCEPTED, None),
        "ok-phone": (RecordStatus.ACCEPTED, None),
        "upper-hex": (RecordStatus.REJECTED, not_sha256),
        "unhashed": (RecordStatus.REJECTED, not_sha256),
    }
    assert (result.received, result.invalid) == (4, 2)
    assert fake.audiences[audience.id].members == {
        sha256("ada@example.com"),
        sha256("+8613800000000"),
    }


async def test_members_go_out_under_their_platform_keys(
    fake: FakeHello, ctx: ConnectorContext, audience: Audience
) -> None:
    await HelloWebhook().add(ctx, audience, [member("m1", sha256("ada@example.com"))])
    sent = fake.requests[-1]
    assert (sent.method, sent.url.path) == ("POST", f"/v1/audiences/{audience.id}/members")
    assert httpx.Response(200, content=sent.content).json() == {
        "action": "add",
        "members": [{"key": "m1", "identifiers": {"email_sha256": sha256("ada@example.com")}}],
    }


async def test_remove_takes_members_out(
    fake: FakeHello, ctx: ConnectorContext, audience: Audience
) -> None:
    members = [member("a", sha256("ada@example.com")), member("b", sha256("bob@example.com"))]
    await HelloWebhook().add(ctx, audience, members)
    result = await HelloWebhook().remove(ctx, audience, members[:1])
    assert [r.status for r in result.results] == [RecordStatus.ACCEPTED]
    assert fake.audiences[audience.id].members == {sha256("bob@example.com")}


async def test_a_batch_over_the_limit_is_refused_whole(
    ctx: ConnectorContext, audience: Audience
) -> None:
    assert HelloWebhook.spec.limits.max_batch_records == MAX_BATCH_RECORDS
    members = [member(f"m{n}", sha256(f"{n}@example.com")) for n in range(MAX_BATCH_RECORDS + 1)]
    with pytest.raises(PermanentFailure, match="at most 100 members per request"):
        await HelloWebhook().add(ctx, audience, members)


async def test_ensure_audience_finds_by_id_then_by_name(
    fake: FakeHello, ctx: ConnectorContext, audience: Audience
) -> None:
    hello = HelloWebhook()
    by_id = await hello.ensure_audience(ctx, AudienceRequest(name="x", existing_id=audience.id))
    by_name = await hello.ensure_audience(ctx, AudienceRequest(name="VIPs"))
    # Deleted on Hello's side: created again under the requested name.
    gone = await hello.ensure_audience(ctx, AudienceRequest(name="New", existing_id="aud_404"))
    assert by_id == by_name == audience
    assert (gone.id, gone.name) == ("aud_2", "New")
    assert sorted(fake.audiences) == ["aud_1", "aud_2"]


async def test_an_audience_deleted_on_hello_fails_adds_permanently(
    fake: FakeHello, ctx: ConnectorContext
) -> None:
    gone = Audience(id="aud_404", name="gone")
    with pytest.raises(PermanentFailure, match="HTTP 404"):
        await HelloWebhook().add(ctx, gone, [member("m1", sha256("ada@example.com"))])


# --- The fake keeps its contract (a fake that accepts anything proves nothing) ---------


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"not json", "action must be 'add' or 'remove'"),
        ({"action": "upsert", "members": []}, "action must be 'add' or 'remove'"),
        ({"action": "add", "members": []}, "members must be a non-empty list"),
        ({"action": "add", "members": [{"key": 1}]}, "each member needs a string key"),
        (
            {"action": "add", "members": [{"key": "a", "identifiers": {}}] * 2},
            "member keys repeat",
        ),
    ],
)
async def test_fake_refuses_a_malformed_body(fake: FakeHello, body: object, error: str) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(transport=fake.transport(), headers=headers) as client:
        created = await client.post("https://hello.example/v1/audiences", json={"name": "a"})
        url = f"https://hello.example/v1/audiences/{created.json()['id']}/members"
        if isinstance(body, bytes):
            response = await client.post(url, content=body)
        else:
            response = await client.post(url, json=body)
    assert response.status_code == 400
    assert error in response.json()["error"]


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": TOKEN}]
)
async def test_fake_refuses_a_missing_or_wrong_token(fake: FakeHello, headers: dict) -> None:
    async with httpx.AsyncClient(transport=fake.transport(), headers=headers) as client:
        response = await client.get("https://hello.example/v1/me")
    assert (response.status_code, response.json()) == (401, {"error": "invalid_token"})


# --- Routes and commands, through the plugin manager ---------------------------------


def test_ping_route_answers() -> None:
    plugins = load_plugins(["hello"], builtins=())
    with TestClient(Litestar(route_handlers=plugins.routes())) as client:
        response = client.get("/hooks/hello/ping")
    assert (response.status_code, response.json()) == (200, {"plugin": "hello"})


def test_hello_command_is_added_to_the_cli() -> None:
    plugins = load_plugins(["hello"], builtins=())
    cli = click.Group("junction")
    plugins.hook.register_commands(cli=cli)
    result = CliRunner().invoke(cli, ["hello"])
    assert result.exit_code == 0, result.output
    assert result.output == "junction-hello 0.1.0: connector hello_webhook\n"
