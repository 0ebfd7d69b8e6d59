"""The conformance kit: junction-hello passes it in one call, and broken plugins fail it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Annotated, Any

import msgspec
import pytest
from junction_hello.connector import HelloWebhook
from junction_hello.fake import FakeHello

from junction.plugins import (
    Audience,
    BatchResult,
    Capability,
    CheckResult,
    ConnectorSpec,
    Kind,
    Member,
    PreparedIdentifier,
    RecordResult,
    RecordStatus,
    secret,
)
from junction.plugins.testing import (
    ConformanceCase,
    check_add_results,
    check_check_bad_credentials,
    check_check_valid,
    check_config_schema,
    check_remove_results,
    check_secrets,
    check_spec,
    check_unknown_field_refused,
    check_valid_config,
    check_wrong_type_refused,
    conformance_suite,
)

TOKEN = "hello-good-token-1234"
VALID = {"url": "https://hello.example", "token": TOKEN}
BAD = {"url": "https://hello.example", "token": "hello-wrong-token-5678"}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def email(key: str, value: str) -> Member:
    identifier = PreparedIdentifier(type="email", value=value, platform_key="email_sha256")
    return Member(key=key, identifiers=(identifier,))


MEMBERS = (
    email("m1", sha256("ada@example.com")),
    Member(
        key="m2",
        identifiers=(
            PreparedIdentifier(
                type="phone", value=sha256("+8613800000000"), platform_key="phone_sha256"
            ),
        ),
    ),
    # Not hashed: Hello rejects it, so the kit sees a partial failure too.
    email("m3", "grace@example.com"),
)


def hello_case(connector: type[Any] = HelloWebhook, **overrides: Any) -> ConformanceCase:
    fields: dict[str, Any] = {
        "connector": connector,
        "valid_config": VALID,
        "bad_credentials_config": BAD,
        "transport_factory": lambda: FakeHello(token=TOKEN).transport(),
        "sample_members": MEMBERS,
    }
    return ConformanceCase(**{**fields, **overrides})


# The one call a plugin author writes.
TestHelloConformance = conformance_suite(hello_case())


def test_suite_holds_the_checks_a_destination_needs() -> None:
    tests = {name for name in vars(TestHelloConformance) if name.startswith("test_")}
    assert {
        "test_spec_is_well_formed",
        "test_config_schema_is_valid_json_schema",
        "test_secrets_are_write_only",
        "test_valid_config_decodes_and_validates",
        "test_missing_required_field_is_refused",
        "test_wrong_type_is_refused",
        "test_unknown_field_is_refused",
        "test_check_accepts_valid_config",
        "test_check_refuses_bad_credentials_cleanly",
        "test_ensure_audience_finds_what_it_created",
        "test_add_results_are_complete",
        "test_remove_results_are_complete",
    } == tests


def test_suite_skips_a_check_whose_input_is_missing() -> None:
    suite = conformance_suite(hello_case(bad_credentials_config=None, sample_members=()))
    with pytest.raises(pytest.skip.Exception, match="bad_credentials_config"):
        suite().test_check_refuses_bad_credentials_cleanly()
    with pytest.raises(pytest.skip.Exception, match="sample_members"):
        suite().test_add_results_are_complete()


# --- Destinations whose results break the contract -----------------------------------


class DropsLastResult(HelloWebhook):
    async def add(self, ctx: Any, audience: Audience, members: Sequence[Member]) -> BatchResult:
        result = await super().add(ctx, audience, members)
        return BatchResult(results=result.results[:-1])


class RepeatsAResult(HelloWebhook):
    async def remove(self, ctx: Any, audience: Audience, members: Sequence[Member]) -> BatchResult:
        result = await super().remove(ctx, audience, members)
        return BatchResult(results=(*result.results, result.results[0]))


class InventsAKey(HelloWebhook):
    async def add(self, ctx: Any, audience: Audience, members: Sequence[Member]) -> BatchResult:
        result = await super().add(ctx, audience, members)
        extra = RecordResult(key="nobody", status=RecordStatus.ACCEPTED)
        return BatchResult(results=(*result.results, extra))


async def test_kit_catches_a_missing_result() -> None:
    with pytest.raises(AssertionError, match=r"add returned no result for keys \['m3'\]"):
        await check_add_results(hello_case(DropsLastResult))


async def test_kit_catches_a_repeated_result() -> None:
    with pytest.raises(AssertionError, match=r"remove returned several results for keys \['m1'\]"):
        await check_remove_results(hello_case(RepeatsAResult))


async def test_kit_catches_a_result_for_a_key_never_sent() -> None:
    with pytest.raises(AssertionError, match=r"keys it was not sent: \['nobody'\]"):
        await check_add_results(hello_case(InventsAKey))


# --- check() that fails dirty --------------------------------------------------------


class EchoesTheToken(HelloWebhook):
    async def check(self, ctx: Any) -> CheckResult:
        result = await super().check(ctx)
        return CheckResult(ok=result.ok, message=f"{result.message} (token {ctx.config.token})")


class LogsTheToken(HelloWebhook):
    async def check(self, ctx: Any) -> CheckResult:
        ctx.log.debug("checking with token %s", ctx.config.token)
        return await super().check(ctx)


class CrashesOnBadToken(HelloWebhook):
    async def check(self, ctx: Any) -> CheckResult:
        async with ctx.http(base_url=ctx.config.url) as client:
            response = await client.get("/v1/me", headers={"Authorization": "Bearer x"})
            response.raise_for_status()
        return CheckResult(ok=True, message="fine")


async def test_kit_catches_a_secret_in_the_check_message() -> None:
    with pytest.raises(AssertionError, match="leaks the value of secret field 'token'"):
        await check_check_bad_credentials(hello_case(EchoesTheToken))


async def test_kit_catches_a_secret_in_the_logs() -> None:
    with pytest.raises(AssertionError, match="leaks the value of secret field 'token'"):
        await check_check_valid(hello_case(LogsTheToken))


async def test_kit_catches_an_unclean_failure() -> None:
    with pytest.raises(AssertionError, match="raised HTTPStatusError"):
        await check_check_bad_credentials(hello_case(CrashesOnBadToken))


async def test_kit_refuses_to_reach_the_network() -> None:
    case = hello_case(transport_factory=None)
    with pytest.raises(AssertionError, match="never reaches the network"):
        await check_check_valid(case)


async def test_kit_wants_distinctive_secrets() -> None:
    case = hello_case(bad_credentials_config={**BAD, "token": "short"})
    with pytest.raises(AssertionError, match="too short to detect leaks"):
        await check_check_bad_credentials(case)


# --- Specs and configs that break the contract ---------------------------------------


def respec(**changes: Any) -> ConnectorSpec:
    """Hello's spec with ``changes``: a connector that claims what it doesn't keep."""
    return msgspec.structs.replace(HelloWebhook.spec, **changes)


class ClaimsReplace(HelloWebhook):
    spec = respec(capabilities=frozenset({Capability.AUDIENCE, Capability.AUDIENCE_REPLACE}))


class ClaimsToBeASource(HelloWebhook):
    spec = respec(kind=Kind.SOURCE)


class ClaimsToMessage(HelloWebhook):
    spec = respec(capabilities=frozenset({Capability.AUDIENCE, Capability.MESSAGE}))


@pytest.mark.parametrize(
    ("connector", "error"),
    [
        (ClaimsReplace, "declares 'audience_replace' but does not implement replace"),
        (ClaimsToBeASource, "must have kind"),
        (ClaimsToMessage, r"can't declare \[<Capability.MESSAGE: 'message'>\]"),
    ],
)
def test_kit_catches_a_spec_the_class_does_not_keep(connector: type[Any], error: str) -> None:
    with pytest.raises(AssertionError, match=error):
        check_spec(hello_case(connector))


class PlainTokenConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    url: Annotated[str, msgspec.Meta(title="URL")]
    api_token: Annotated[str, msgspec.Meta(title="API token")]


class LaxConfig(msgspec.Struct, kw_only=True, frozen=True):
    url: Annotated[str, msgspec.Meta(title="URL")]
    token: Annotated[str, secret("Token")]


class MutableConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Annotated[str, msgspec.Meta(title="URL")]


class PlainToken(HelloWebhook):
    spec = respec(config=PlainTokenConfig)


class Lax(HelloWebhook):
    spec = respec(config=LaxConfig)


class Mutable(HelloWebhook):
    spec = respec(config=MutableConfig)


def test_kit_catches_a_credential_not_declared_secret() -> None:
    case = hello_case(PlainToken, valid_config={"url": "https://x", "api_token": TOKEN})
    with pytest.raises(AssertionError, match="'api_token' looks like a credential"):
        check_secrets(case)


def test_kit_catches_a_config_accepting_unknown_fields() -> None:
    with pytest.raises(AssertionError, match=r"unknown field .* decodes without error"):
        check_unknown_field_refused(hello_case(Lax))


def test_kit_catches_a_mutable_config() -> None:
    with pytest.raises(AssertionError, match="frozen"):
        check_config_schema(hello_case(Mutable, valid_config={"url": "https://x"}))


def test_kit_catches_a_valid_config_that_is_not() -> None:
    case = hello_case(valid_config={"url": "hello.example", "token": TOKEN})
    with pytest.raises(AssertionError, match="valid_config does not decode"):
        check_valid_config(case)


class SchemaDisagreesConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    url: Annotated[str, msgspec.Meta(title="URL")]
    token: Annotated[str, secret("Token")]
    # The form caps retries at 10, but the Struct decodes any integer.
    retries: Annotated[int, msgspec.Meta(title="Retries", extra_json_schema={"maximum": 10})] = 3


class SchemaDisagrees(HelloWebhook):
    spec = respec(config=SchemaDisagreesConfig)


def test_kit_catches_a_schema_that_disagrees_with_the_struct() -> None:
    with pytest.raises(AssertionError, match="'retries' set to 12345 decodes without error"):
        check_wrong_type_refused(hello_case(SchemaDisagrees))
