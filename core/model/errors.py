"""The one error the canonical model raises.

Hierarchy (grouped by what the caller does next)::

    ValueError
     └── ModelError     the input does not fit the model: reject it (HTTP 400) and
                        show ``str(error)`` to whoever sent it; retrying cannot help.

Every decoder and validator in :mod:`junction.core.model` raises :class:`ModelError`,
never a bare :class:`msgspec.ValidationError`, so callers catch a single type.
"""

from __future__ import annotations

import re

import msgspec

__all__ = ["ModelError"]

# msgspec appends the location of the offending value to its messages, either
# " - at `$.batch[3].event`" or, for a mapping key, " - at `key` in `$.consents`".
_LOCATION = re.compile(r"^(?P<message>.*) - at (?P<key>`key` in )?`(?P<path>\$[^`]*)`$", re.DOTALL)


class ModelError(ValueError):
    """Input that does not fit the canonical model.

    Attributes:
        path: Where the problem is, as a JSONPath from the document root: ``"$"`` for
            the document itself, ``"$.timestamp"``, ``"$.batch[3].event"``. A missing
            field is reported at the object that lacks it (as msgspec does), and the
            message names the field.
        message: What is wrong, without the location.

    ``str(error)`` reads ``"batch[3]: `event` is required for a track call"``: the
    path without its ``$.`` root, then the message.
    """

    path: str
    message: str

    def __init__(self, message: str, path: str = "$") -> None:
        super().__init__(message, path)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        where = self.path.removeprefix("$").removeprefix(".")
        return f"{where}: {self.message}" if where else self.message

    def under(self, prefix: str) -> ModelError:
        """Return this error relocated below ``prefix``.

        Used when a value was validated on its own (its paths start at ``$``) but sits
        at ``prefix`` in the document the caller sent.

        Args:
            prefix: The JSONPath of the validated value, e.g. ``"$.context.identifiers"``.
        """
        return ModelError(self.message, prefix + self.path.removeprefix("$"))

    @classmethod
    def from_msgspec(cls, error: msgspec.MsgspecError) -> ModelError:
        """Translate a msgspec decode or validation error, keeping its location.

        When a ``__post_init__`` raised a :class:`ModelError` (msgspec wraps it in a
        ``ValidationError`` located at the struct), that error's own path is joined
        below the struct's, so the result points at the field, not just the struct.

        Args:
            error: The error raised by ``msgspec.json.decode`` or ``msgspec.convert``.
        """
        match = _LOCATION.match(str(error))
        path = match["path"] if match else "$"
        if isinstance(error.__cause__, ModelError):
            return error.__cause__.under(path)
        if match is None:
            return cls(str(error))
        message = match["message"] + (" (in a key)" if match["key"] else "")
        return cls(message, path)
