"""The conformance kit on sources and messengers: good ones pass, broken ones fail."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
import pytest

from junction.core.model import Event, EventType, Identifier, IdentifierType
from junction.plugins import (
    AuthFailed,
    BatchResult,
    Capability,
    Checkpoint,
    CheckResult,
    ConnectorContext,
    ConnectorSpec,
    EventRecord,
    Kind,
    Message,
    Messenger,
    Notification,
    ProfileRecord,
    Recipient,
    Record,
    RecordResult,
    RecordStatus,
    Source,
    secret,
)
from junction.plugins.testing import (
    ConformanceCase,
    check_notify,
    check_read,
    check_reread,
    check_send_results,
    conformance_suite,
)

API_KEY = "source-api-key-1234"


class KeyConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    api_key: Annotated[str, secret("API key")]
    page_size: Annotated[int, msgspec.Meta(title="Page size", ge=1, le=100)] = 2


async def check_key(ctx: ConnectorContext[KeyConfig]) -> CheckResult:
    if ctx.config.api_key != API_KEY:
        raise AuthFailed("the API key was refused: create a new one")
    return CheckResult(ok=True, message="the API key works")


def event(n: int) -> EventRecord:
    return EventRecord(
        event=Event(
            type=EventType.TRACK,
            message_id=f"msg-{n}",
            event="Signed Up",
            user_id=f"user-{n}",
            timestamp=datetime(2024, 1, 1, n, tzinfo=UTC),
        )
    )


EVENTS = tuple(event(n) for n in range(5))


class PagedEvents(Source[KeyConfig]):
    """Reads ``EVENTS`` a page at a time, checkpointing the cursor after each page."""

    spec = ConnectorSpec(
        name="paged_events",
        kind=Kind.SOURCE,
        title="Paged events",
        description="Events from an in-memory list, a page at a time.",
        config=KeyConfig,
        capabilities=frozenset({Capability.PULL}),
        produces=("user_id",),
    )

    async def check(self, ctx: ConnectorContext[KeyConfig]) -> CheckResult:
        return await check_key(ctx)

    async def read(self, ctx: ConnectorContext[KeyConfig]) -> AsyncIterator[Record | Checkpoint]:
        size = ctx.config.page_size
        for start in range(int(ctx.state.get("cursor", 0)), len(EVENTS), size):
            for record in EVENTS[start : start + size]:
                yield record
            yield Checkpoint(state={"cursor": min(start + size, len(EVENTS))})


def source_case(connector: type[Any] = PagedEvents, **overrides: Any) -> ConformanceCase:
    fields: dict[str, Any] = {
        "connector": connector,
        "valid_config": {"api_key": API_KEY},
        "bad_credentials_config": {"api_key": "wrong-api-key-5678"},
    }
    return ConformanceCase(**{**fields, **overrides})


TestPagedEventsConformance = conformance_suite(source_case())


def test_source_suite_reads_and_does_not_add() -> None:
    tests = set(vars(TestPagedEventsConformance))
    assert {
        "test_read_yields_records_and_checkpoints",
        "test_reread_from_checkpoint_is_safe",
    } < tests
    assert not {name for name in tests if "audience" in name or "results" in name}


class NeverCheckpoints(PagedEvents):
    async def read(self, ctx: ConnectorContext[KeyConfig]) -> AsyncIterator[Record | Checkpoint]:
        for record in EVENTS:
            yield record


class YieldsDicts(PagedEvents):
    async def read(self, ctx: ConnectorContext[KeyConfig]) -> AsyncIterator[Any]:
        yield {"type": "track", "event": "Signed Up"}


class NeverEnds(PagedEvents):
    async def read(self, ctx: ConnectorContext[KeyConfig]) -> AsyncIterator[Record | Checkpoint]:
        n = 0
        while True:
            yield event(n % 24)
            n += 1


class CheckpointsATime(PagedEvents):
    async def read(self, ctx: ConnectorContext[KeyConfig]) -> AsyncIterator[Record | Checkpoint]:
        yield EVENTS[0]
        # A datetime comes back from the database as a string: the next read would break.
        yield Checkpoint(state={"since": datetime(2024, 1, 1, tzinfo=UTC)})


class IgnoresState(PagedEvents):
    """Re-reads everything: harmless for events, which the hub dedups by message id."""

    async def read(self, ctx: ConnectorContext[KeyConfig]) -> AsyncIterator[Record | Checkpoint]:
        for record in EVENTS:
            yield record
        yield Checkpoint(state={"cursor": len(EVENTS)})


class ReyieldsProfiles(PagedEvents):
    """Re-reads a profile update a checkpoint already covered, which the hub can't dedup."""

    async def read(self, ctx: ConnectorContext[KeyConfig]) -> AsyncIterator[Record | Checkpoint]:
        yield ProfileRecord(
            identifiers=(Identifier(IdentifierType.USER_ID, "user-1"),),
            observed_at=datetime(2024, 1, 1, tzinfo=UTC),
            traits={"plan": "pro"},
        )
        yield Checkpoint(state={"cursor": 1})


@pytest.mark.parametrize(
    ("connector", "error"),
    [
        (NeverCheckpoints, "no Checkpoint: every run would re-read everything"),
        (YieldsDicts, "only records and Checkpoints may be yielded"),
        (CheckpointsATime, "does not survive JSON"),
    ],
)
async def test_kit_catches_a_bad_read(connector: type[Any], error: str) -> None:
    with pytest.raises(AssertionError, match=error):
        await check_read(source_case(connector))


async def test_kit_catches_a_read_that_does_not_end() -> None:
    with pytest.raises(AssertionError, match="more than 50 items: does it terminate"):
        await check_read(source_case(NeverEnds, max_items=50))


async def test_rereading_deduplicable_records_passes() -> None:
    await check_reread(source_case(IgnoresState))


async def test_kit_catches_a_reread_the_hub_cannot_deduplicate() -> None:
    with pytest.raises(AssertionError, match="no key to deduplicate it by"):
        await check_reread(source_case(ReyieldsProfiles))


# --- Messengers ----------------------------------------------------------------------


class NoteConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    password: Annotated[str, secret("Password")]


class Notes(Messenger[NoteConfig]):
    """Sends to recipients with a phone; rejects the others."""

    spec = ConnectorSpec(
        name="notes",
        kind=Kind.DESTINATION,
        title="Notes",
        description="Sends notes to phones.",
        config=NoteConfig,
        capabilities=frozenset({Capability.MESSAGE, Capability.NOTIFY}),
        idempotent=False,
    )

    async def check(self, ctx: ConnectorContext[NoteConfig]) -> CheckResult:
        ok = ctx.config.password == "notes-password-1234"
        return CheckResult(ok=ok, message="signed in" if ok else "the password was refused")

    async def send(
        self, ctx: ConnectorContext[NoteConfig], message: Message, recipients: Sequence[Recipient]
    ) -> BatchResult:
        return BatchResult(results=tuple(_outcome(r) for r in recipients))

    async def notify(self, ctx: ConnectorContext[NoteConfig], notification: Notification) -> None:
        ctx.log.info("notified: %s", notification.title)


def _outcome(recipient: Recipient) -> RecordResult:
    if "phone" in recipient.address:
        return RecordResult(key=recipient.key, status=RecordStatus.ACCEPTED)
    return RecordResult(key=recipient.key, status=RecordStatus.REJECTED, reason="no phone")


class ForgetsRejections(Notes):
    async def send(
        self, ctx: ConnectorContext[NoteConfig], message: Message, recipients: Sequence[Recipient]
    ) -> BatchResult:
        return BatchResult.all_accepted(r.key for r in recipients if "phone" in r.address)


class NotifyAnswers(Notes):
    async def notify(self, ctx: ConnectorContext[NoteConfig], notification: Notification) -> Any:
        return {"ok": True}


RECIPIENTS = (
    Recipient(key="r1", address={"phone": "+8613800000000"}),
    Recipient(key="r2", address={"email": "ada@example.com"}),
)


def notes_case(connector: type[Any] = Notes) -> ConformanceCase:
    return ConformanceCase(
        connector=connector,
        valid_config={"password": "notes-password-1234"},
        bad_credentials_config={"password": "wrong-password-5678"},
        sample_recipients=RECIPIENTS,
    )


TestNotesConformance = conformance_suite(notes_case())


def test_messenger_suite_sends_and_notifies() -> None:
    tests = set(vars(TestNotesConformance))
    assert {"test_send_results_are_complete", "test_notify_completes"} < tests
    assert not {name for name in tests if "read" in name or "audience" in name}


async def test_kit_catches_a_send_that_forgets_a_recipient() -> None:
    with pytest.raises(AssertionError, match=r"send returned no result for keys \['r2'\]"):
        await check_send_results(notes_case(ForgetsRejections))


async def test_kit_catches_a_notify_that_returns_something() -> None:
    with pytest.raises(AssertionError, match="notify returned"):
        await check_notify(notes_case(NotifyAnswers))
