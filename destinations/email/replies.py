"""What an SMTP reply means for one recipient (RFC 5321 §4.2, RFC 3463).

    2yz  the step succeeded
    421  the server is closing the session: nothing more goes on it (retry later)
    4yz  transient (greylisting 450/451, 452 too many recipients / storage): retry
    5yz  permanent (550 5.1.1 no such user, 553 bad address, 554 policy): give up

Only a message whose DATA was fully sent can have been delivered; a session lost before
that sent nothing, so its messages are retried, while one lost while waiting for the
final reply is ``unknown`` and never resent blindly.
"""

from __future__ import annotations

import msgspec

from junction.plugins import RecordResult, RecordStatus

__all__ = ["Reply", "SenderRefused", "SessionLost", "outcome"]

#: Server reply texts are kept short in results (they end up in dead letters).
MAX_TEXT = 200


class Reply(msgspec.Struct, frozen=True):
    """One SMTP reply: its code and (joined, decoded) text."""

    code: int
    text: str

    @classmethod
    def of(cls, code: int, text: bytes | str) -> Reply:
        raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        return cls(code, " ".join(raw.split())[:MAX_TEXT])

    def describe(self) -> str:
        return f"{self.code} {self.text}".strip()

    @property
    def closing(self) -> bool:
        """421: the server ends the session; later commands on it would fail."""
        return self.code == 421

    @property
    def transient(self) -> bool:
        return 400 <= self.code < 500

    @property
    def permanent(self) -> bool:
        return self.code >= 500


class SessionLost(Exception):
    """The SMTP session can't carry more messages (closed, timed out, 421).

    ``sent`` tells whether the current message's DATA had been sent completely: if so
    it may have been delivered (``unknown``), if not it certainly was not (``retry``).
    """

    def __init__(self, reason: str, *, sent: bool, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sent = sent
        self.code = code


class SenderRefused(Exception):
    """The server permanently refused the envelope sender (MAIL FROM 5xx, 530)."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.describe())
        self.reply = reply


def outcome(key: str, step: str, reply: Reply, *, message_id: str | None = None) -> RecordResult:
    """The result of a message for ``key`` whose ``step`` (RCPT, DATA...) got ``reply``."""
    if 200 <= reply.code < 300:
        return RecordResult(key=key, status=RecordStatus.ACCEPTED, platform_id=message_id)
    reason = f"{step}: {reply.describe()}"
    status = RecordStatus.RETRY if reply.transient else RecordStatus.REJECTED
    return RecordResult(key=key, status=status, reason=reason, code=str(reply.code))
