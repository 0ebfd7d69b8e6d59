"""Refusing replayed callbacks: a timestamp window, and each nonce once within it.

Someone who captured a signed push could send it again; its signature still
verifies. So a push is refused when its timestamp is further from now than the
connection's window, and when its nonce was already accepted for that connection
within the window. Accepted nonces are remembered in this process only: behind a
load balancer with several hub processes, a replay landing on another process within
the window is not caught (the timestamp window still bounds it).
"""

from __future__ import annotations

import heapq
import threading

__all__ = ["NonceBook", "timestamp_problem"]


def timestamp_problem(timestamp: str, *, now: float, window: int) -> str | None:
    """Why ``timestamp`` (unix seconds, as WeChat sends it) is refused, or None."""
    if not timestamp.isdigit() or len(timestamp) > 12:
        return "the timestamp query parameter must be unix seconds"
    skew = int(timestamp) - now
    if abs(skew) > window:
        side = "ahead of" if skew > 0 else "behind"
        return (
            f"the timestamp is {abs(int(skew))} s {side} the hub's clock; pushes older or "
            f"newer than {window} s are refused as possible replays (check the hub's clock)"
        )
    return None


class NonceBook:
    """Nonces accepted per connection, each forgotten once its window has passed."""

    def __init__(self) -> None:
        self._until: dict[tuple[int, str], float] = {}
        self._expiries: list[tuple[float, tuple[int, str]]] = []
        self._lock = threading.Lock()

    def claim(self, connection_id: int, nonce: str, *, now: float, window: int) -> bool:
        """Record ``nonce`` for the connection; False when it was already claimed."""
        key = (connection_id, nonce)
        with self._lock:
            self._forget_expired(now)
            if key in self._until:
                return False
            # Kept for twice the window: a push may be up to a window in the future.
            until = now + 2 * window
            self._until[key] = until
            heapq.heappush(self._expiries, (until, key))
            return True

    def release(self, connection_id: int, nonce: str) -> None:
        """Forget a claimed nonce: its push was not stored, so WeChat's retry is welcome."""
        with self._lock:
            self._until.pop((connection_id, nonce), None)

    def _forget_expired(self, now: float) -> None:
        while self._expiries and self._expiries[0][0] <= now:
            until, key = heapq.heappop(self._expiries)
            if self._until.get(key) == until:
                del self._until[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._until)
