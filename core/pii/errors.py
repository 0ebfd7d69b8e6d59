"""The one error the PII registry raises for a value: :class:`InvalidIdentifier`."""

from __future__ import annotations

from junction.core.errors import JunctionError

__all__ = ["InvalidIdentifier"]


class InvalidIdentifier(JunctionError, ValueError):
    """A value can't be normalized (or hashed) as the identifier it claims to be.

    It concerns one record only: skip or dead-letter that record and carry on. The
    message names the type, the value and the reason, e.g. ``phone '12345' is not a
    valid number for region CN``.
    """
