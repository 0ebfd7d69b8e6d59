"""Clock-skew correction, as Segment does it.

A phone's clock can be minutes or years off. The SDK stamps each event with the
device's time (``timestamp``, kept as ``originalTimestamp``) and the batch with the
device's time of sending (``sentAt``). Both come from the same wrong clock, so their
difference is trustworthy even when neither is: the event happened that long before
the hub received it.

    timestamp = receivedAt - (sentAt - originalTimestamp)

Without ``sentAt`` there is nothing to measure the skew against: the sender's own
timestamp is kept (a server-side import of historical data looks like this), or the
time of receipt when the sender gave none.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from junction.core.model import Event

__all__ = ["Timing", "correct_timing"]


class Timing(NamedTuple):
    """The four times stored with an event (all aware, UTC or not as received)."""

    #: When it happened, on the hub's clock (corrected for the sender's skew).
    timestamp: datetime
    #: The sender's own time of the event, uncorrected; None if it sent none.
    original_timestamp: datetime | None
    #: The sender's time of sending, from the event or its batch envelope.
    sent_at: datetime | None
    #: When the hub received it (the hub's clock).
    received_at: datetime


def correct_timing(event: Event, received_at: datetime) -> Timing:
    """Compute an event's stored times from what the sender said and ``received_at``.

    Args:
        event: The event as decoded; ``sent_at`` already inherited from the envelope.
        received_at: The hub's time of receipt (aware).
    """
    original = event.original_timestamp or event.timestamp
    sent_at = event.sent_at
    timestamp = original or received_at
    if sent_at is not None and original is not None:
        try:
            timestamp = received_at - (sent_at - original)
        except OverflowError:
            # Absurd clocks (sentAt in year 9999) would land before year 1: there is
            # no meaningful correction, so the time of receipt stands in.
            timestamp = received_at
    return Timing(
        timestamp=timestamp,
        original_timestamp=original,
        sent_at=sent_at,
        received_at=received_at,
    )
