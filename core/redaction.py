"""Keeping secrets out of everything that could be printed: dicts, logs, audit details."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

MASK = "********"
#: Config keys whose values are secret whatever the plugin declares.
SENSITIVE_KEYS = frozenset(
    {"password", "secret", "token", "access_token", "api_key", "private_key", "app_secret"}
)


def redact(value: Any, secret_fields: Iterable[str] = ()) -> Any:
    """A copy of ``value`` with secret fields (declared or conventional) masked.

    Masks dict entries whose key is in ``secret_fields`` or :data:`SENSITIVE_KEYS`,
    at any depth, and any string equal to a value registered with :data:`known_secrets`.
    """
    fields = frozenset(secret_fields) | SENSITIVE_KEYS
    return _redact(value, fields)


def _redact(value: Any, fields: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {
            key: MASK if key in fields and item not in (None, "") else _redact(item, fields)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(item, fields) for item in value]
    if isinstance(value, str):
        return known_secrets.scrub(value)
    return value


class SecretValues:
    """Secret values seen by this process, scrubbed from log lines and error messages.

    Whenever the hub decrypts a connection's secrets it registers them here, so a plugin
    that logs a URL with a token in it, or an exception that echoes a header, still
    prints the mask.
    """

    _MIN_LENGTH = 4  # shorter values would mask ordinary words

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, *values: Any) -> None:
        with self._lock:
            for value in values:
                if isinstance(value, str) and len(value) >= self._MIN_LENGTH:
                    self._values.add(value)

    def scrub(self, text: str) -> str:
        if not self._values:
            return text
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, MASK)
        return text


known_secrets = SecretValues()


class RedactingFilter(logging.Filter):
    """A logging filter that masks every registered secret value in the final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = known_secrets.scrub(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        if record.exc_info and record.exc_info[1] is not None:
            # Formatted tracebacks include the exception's message; format it now, scrubbed.
            record.exc_text = known_secrets.scrub(
                logging.Formatter().formatException(record.exc_info)
            )
            record.exc_info = None
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Attach :class:`RedactingFilter` to every handler of ``logger`` (default: root)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
