"""Clock-skew correction: timestamp = receivedAt - (sentAt - originalTimestamp)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from junction.core.ingest import correct_timing
from junction.core.model import Event, EventType

RECEIVED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def track(**times: datetime) -> Event:
    return Event(type=EventType.TRACK, event="Viewed", user_id="u1", **times)


def test_a_device_clock_ten_minutes_fast_is_corrected() -> None:
    # The phone thinks it is 12:10; the event happened 30 s before the batch was sent.
    timing = correct_timing(
        track(
            timestamp=datetime(2024, 5, 1, 12, 9, 30, tzinfo=UTC),
            sent_at=datetime(2024, 5, 1, 12, 10, 0, tzinfo=UTC),
        ),
        RECEIVED,
    )
    assert timing.timestamp == datetime(2024, 5, 1, 11, 59, 30, tzinfo=UTC)
    assert timing.original_timestamp == datetime(2024, 5, 1, 12, 9, 30, tzinfo=UTC)
    assert timing.sent_at == datetime(2024, 5, 1, 12, 10, 0, tzinfo=UTC)
    assert timing.received_at == RECEIVED


def test_a_device_clock_a_year_behind_is_corrected() -> None:
    timing = correct_timing(
        track(
            timestamp=datetime(2023, 5, 1, 11, 58, 0, tzinfo=UTC),
            sent_at=datetime(2023, 5, 1, 11, 59, 0, tzinfo=UTC),
        ),
        RECEIVED,
    )
    assert timing.timestamp == datetime(2024, 5, 1, 11, 59, 0, tzinfo=UTC)


def test_original_timestamp_wins_over_timestamp_as_the_senders_time() -> None:
    timing = correct_timing(
        track(
            timestamp=datetime(2024, 5, 1, 0, 0, 0, tzinfo=UTC),
            original_timestamp=datetime(2024, 5, 1, 12, 4, 0, tzinfo=UTC),
            sent_at=datetime(2024, 5, 1, 12, 5, 0, tzinfo=UTC),
        ),
        RECEIVED,
    )
    assert timing.timestamp == RECEIVED - timedelta(minutes=1)
    assert timing.original_timestamp == datetime(2024, 5, 1, 12, 4, 0, tzinfo=UTC)


def test_offsets_are_honoured() -> None:
    # 20:09:30 in UTC+8 is 12:09:30 UTC; sent 30 s later by the same clock.
    cst = timezone(timedelta(hours=8))
    timing = correct_timing(
        track(
            timestamp=datetime(2024, 5, 1, 20, 9, 30, tzinfo=cst),
            sent_at=datetime(2024, 5, 1, 20, 10, 0, tzinfo=cst),
        ),
        RECEIVED,
    )
    assert timing.timestamp == RECEIVED - timedelta(seconds=30)


def test_without_sent_at_the_senders_timestamp_is_kept() -> None:
    historical = datetime(2021, 1, 1, 8, 0, 0, tzinfo=UTC)
    timing = correct_timing(track(timestamp=historical), RECEIVED)
    assert timing.timestamp == historical
    assert timing.original_timestamp == historical
    assert timing.sent_at is None


def test_without_any_sender_time_the_receipt_time_is_used() -> None:
    timing = correct_timing(track(), RECEIVED)
    assert timing == (RECEIVED, None, None, RECEIVED)


def test_sent_at_alone_measures_nothing() -> None:
    sent = datetime(2030, 1, 1, tzinfo=UTC)
    timing = correct_timing(track(sent_at=sent), RECEIVED)
    assert timing.timestamp == RECEIVED
    assert timing.sent_at == sent


def test_absurd_clocks_fall_back_to_the_receipt_time() -> None:
    timing = correct_timing(
        track(
            timestamp=datetime(1, 1, 1, tzinfo=UTC),
            sent_at=datetime(9999, 1, 1, tzinfo=UTC),
        ),
        RECEIVED,
    )
    assert timing.timestamp == RECEIVED
