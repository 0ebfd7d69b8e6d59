"""Conformance checks that run the connector's operations against the author's fake.

Part of :mod:`junction.plugins.testing`; import from there. Each check is a coroutine
function raising AssertionError with a sentence saying what to fix.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

import msgspec

from junction.plugins.connector import AudienceDestination, Connector, Messenger, Source
from junction.plugins.context import ConnectorContext
from junction.plugins.errors import AuthFailed, ConfigInvalid
from junction.plugins.records import Audience, AudienceRequest, Checkpoint, Record, ReplaceSession
from junction.plugins.results import BatchResult, CheckResult, RecordResult, RecordStatus
from junction.plugins.testing_case import (
    CapturedLog,
    ConformanceCase,
    decode_config,
    make_context,
    secret_values,
)

C = TypeVar("C", bound=Connector[Any])


def _instance(case: ConformanceCase, base: type[C]) -> C:
    connector = case.connector()
    assert isinstance(connector, base), f"{case.connector.__name__} is not a {base.__name__}"
    return connector


def assert_complete(result: object, keys: Iterable[str], operation: str) -> None:
    """Assert ``result`` is a BatchResult with exactly one RecordResult per key sent."""
    assert isinstance(result, BatchResult), f"{operation} returned {result!r}, not a BatchResult"
    sent = list(keys)
    seen: list[str] = []
    for item in result.results:
        assert isinstance(item, RecordResult), f"{operation} returned {item!r} in results"
        assert isinstance(item.status, RecordStatus), f"{operation}: bad status {item.status!r}"
        seen.append(item.key)
    duplicates = sorted(key for key, count in Counter(seen).items() if count > 1)
    assert not duplicates, f"{operation} returned several results for keys {duplicates}"
    unknown = sorted(set(seen) - set(sent))
    assert not unknown, f"{operation} returned results for keys it was not sent: {unknown}"
    missing = sorted(set(sent) - set(seen))
    assert not missing, f"{operation} returned no result for keys {missing}"


def assert_no_leak(secrets: Mapping[str, str], texts: Iterable[str], where: str) -> None:
    """Assert that no secret value appears in any of ``texts``."""
    texts = list(texts)
    for name, value in secrets.items():
        # A short secret would "appear" in any text by chance, proving nothing.
        assert len(value) >= 8, (
            f"secret {name!r} of the test config is too short to detect leaks: use 8+ characters"
        )
        for text in texts:
            assert value not in text, f"{where} leaks the value of secret field {name!r}"


def _exception_texts(exc: BaseException) -> list[str]:
    """The messages of ``exc`` and of every exception chained to it (what a log shows)."""
    texts: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(texts) < 20:
        texts.extend((str(current), repr(current.args)))
        current = current.__cause__ or current.__context__
    return texts


async def check_check_valid(case: ConformanceCase) -> None:
    """``check`` on ``valid_config`` returns ok=True and leaks no secret."""
    ctx, log = make_context(case, decode_config(case, case.valid_config))
    async with asyncio.timeout(case.timeout):
        result = await case.connector().check(ctx)
    assert isinstance(result, CheckResult), f"check returned {result!r}, not a CheckResult"
    assert result.ok, f"check on valid_config failed: {result.message}"
    assert result.message.strip(), "check returned an empty message"
    texts = [result.message, repr(result.details), *log.messages]
    assert_no_leak(secret_values(case, case.valid_config), texts, "check")


async def check_check_bad_credentials(case: ConformanceCase) -> None:
    """``check`` on bad credentials fails cleanly and leaks none of them."""
    assert case.bad_credentials_config is not None, "the case has no bad_credentials_config"
    ctx, log = make_context(case, decode_config(case, case.bad_credentials_config))
    try:
        async with asyncio.timeout(case.timeout):
            result = await case.connector().check(ctx)
    except (AuthFailed, ConfigInvalid) as exc:
        texts = _exception_texts(exc)
        message = exc.message
    except Exception as exc:
        raise AssertionError(
            f"check on bad credentials raised {type(exc).__name__}: return "
            "CheckResult(ok=False) or raise AuthFailed / ConfigInvalid"
        ) from exc
    else:
        assert isinstance(result, CheckResult), f"check returned {result!r}, not a CheckResult"
        assert not result.ok, "check on bad_credentials_config returned ok=True"
        texts = [result.message, repr(result.details)]
        message = result.message
    assert message.strip(), "check on bad credentials failed with an empty message"
    secrets = secret_values(case, case.bad_credentials_config)
    assert_no_leak(secrets, [*texts, *log.messages], "check on bad credentials")


async def _audience(
    case: ConformanceCase,
) -> tuple[AudienceDestination[Any], ConnectorContext[Any], Audience, CapturedLog]:
    ctx, log = make_context(case, decode_config(case, case.valid_config))
    connector = _instance(case, AudienceDestination)
    async with asyncio.timeout(case.timeout):
        audience = await connector.ensure_audience(ctx, case.audience)
    assert isinstance(audience, Audience), f"ensure_audience returned {audience!r}"
    assert audience.id, "ensure_audience returned an audience without an id"
    return connector, ctx, audience, log


async def check_ensure_audience(case: ConformanceCase) -> None:
    """``ensure_audience`` finds the audience it created, by id and by name."""
    connector, ctx, audience, _ = await _audience(case)
    by_id = AudienceRequest(
        name=case.audience.name, description=case.audience.description, existing_id=audience.id
    )
    async with asyncio.timeout(case.timeout):
        again = await connector.ensure_audience(ctx, by_id)
        by_name = await connector.ensure_audience(ctx, case.audience)
    assert again.id == audience.id, "ensure_audience(existing_id=...) did not find it"
    assert by_name.id == audience.id, "ensure_audience created a second audience of one name"


def _member_keys(case: ConformanceCase) -> list[str]:
    assert case.sample_members, "the case has no sample_members"
    keys = [member.key for member in case.sample_members]
    assert len(set(keys)) == len(keys), "sample_members repeat a key"
    return keys


async def check_add_results(case: ConformanceCase) -> None:
    """``add`` returns exactly one result per member sent."""
    keys = _member_keys(case)
    connector, ctx, audience, _ = await _audience(case)
    async with asyncio.timeout(case.timeout):
        result = await connector.add(ctx, audience, list(case.sample_members))
    assert_complete(result, keys, "add")


async def check_remove_results(case: ConformanceCase) -> None:
    """``remove`` returns exactly one result per member sent, after they were added."""
    keys = _member_keys(case)
    connector, ctx, audience, _ = await _audience(case)
    async with asyncio.timeout(case.timeout):
        await connector.add(ctx, audience, list(case.sample_members))
        result = await connector.remove(ctx, audience, list(case.sample_members))
    assert_complete(result, keys, "remove")


async def check_replace_results(case: ConformanceCase) -> None:
    """``replace`` (a one-batch session) returns exactly one result per member sent."""
    keys = _member_keys(case)
    connector, ctx, audience, _ = await _audience(case)
    session = ReplaceSession(id="junction-conformance", seq=0, last=True)
    async with asyncio.timeout(case.timeout):
        result = await connector.replace(ctx, audience, list(case.sample_members), session)
    assert_complete(result, keys, "replace")


async def check_send_results(case: ConformanceCase) -> None:
    """``send`` returns exactly one result per recipient."""
    assert case.sample_recipients, "the case has no sample_recipients"
    keys = [recipient.key for recipient in case.sample_recipients]
    assert len(set(keys)) == len(keys), "sample_recipients repeat a key"
    ctx, _ = make_context(case, decode_config(case, case.valid_config))
    async with asyncio.timeout(case.timeout):
        messenger = _instance(case, Messenger)
        result = await messenger.send(ctx, case.message, list(case.sample_recipients))
    assert_complete(result, keys, "send")


async def check_notify(case: ConformanceCase) -> None:
    """``notify`` posts the case's notification and returns None."""
    ctx, _ = make_context(case, decode_config(case, case.valid_config))
    async with asyncio.timeout(case.timeout):
        # Typed as returning object: the point is to catch a notify that returns a value.
        notify: Callable[..., Awaitable[object]] = _instance(case, Messenger).notify
        returned = await notify(ctx, case.notification)
    assert returned is None, f"notify returned {returned!r}; it returns None or raises"


async def read_all(case: ConformanceCase, state: Mapping[str, Any]) -> list[Record | Checkpoint]:
    """Everything one ``read`` from ``state`` yields, each item checked on the way."""
    ctx, _ = make_context(case, decode_config(case, case.valid_config), state)
    items: list[Record | Checkpoint] = []
    async with asyncio.timeout(case.timeout):
        async for item in _instance(case, Source).read(ctx):
            assert isinstance(item, Record | Checkpoint), (
                f"read yielded {item!r}: only records and Checkpoints may be yielded"
            )
            _assert_round_trips(item)
            items.append(item)
            assert len(items) <= case.max_items, (
                f"read yielded more than {case.max_items} items: does it terminate?"
            )
    return items


def _assert_round_trips(item: Record | Checkpoint) -> None:
    encoded = msgspec.json.encode(item)
    if isinstance(item, Checkpoint):
        # The state comes back as ctx.state after a trip through the database as JSON.
        assert msgspec.json.decode(msgspec.json.encode(item.state)) == item.state, (
            f"checkpoint state {item.state!r} does not survive JSON: use str, int, list, dict"
        )
        return
    try:
        # Field constraints are checked on decoding only: this is what the hub will see.
        msgspec.json.decode(encoded, type=Record)
    except msgspec.ValidationError as exc:
        raise AssertionError(f"read yielded an invalid record {item!r}: {exc}") from exc


async def check_read(case: ConformanceCase) -> None:
    """``read`` terminates, yields valid records, and checkpoints what it yielded."""
    items = await read_all(case, case.state)
    records = [item for item in items if not isinstance(item, Checkpoint)]
    assert records, "read yielded no records: give the fake data so the kit can check them"
    assert any(isinstance(item, Checkpoint) for item in items), (
        "read yielded records but no Checkpoint: every run would re-read everything"
    )


async def check_reread(case: ConformanceCase) -> None:
    """Reading again from the last checkpoint repeats only records the hub deduplicates."""
    first = await read_all(case, case.state)
    last = max((i for i, item in enumerate(first) if isinstance(item, Checkpoint)), default=None)
    assert last is not None, "read yielded no Checkpoint to resume from"
    checkpoint = first[last]
    assert isinstance(checkpoint, Checkpoint)
    covered = {
        msgspec.json.encode(item) for item in first[:last] if not isinstance(item, Checkpoint)
    }
    second = await read_all(case, checkpoint.state)
    for item in second:
        if isinstance(item, Checkpoint) or msgspec.json.encode(item) not in covered:
            continue
        assert case.dedup_key(item) is not None, (
            f"reading from the last checkpoint yielded {item!r} again, and the hub has no "
            "key to deduplicate it by"
        )
