"""Errors of the segment engine, grouped by what the caller does next.

ModelError (junction.core.model)   the input is wrong: answer 400, show the message
 └── DefinitionError               a definition is well-formed JSON but means
                                   nothing valid: unknown trait, wrong operand
                                   type, bad window, cycle between segments
NotFoundError (junction.core.errors)  the named segment does not exist: answer 404
"""

from __future__ import annotations

from junction.core.model import ModelError

__all__ = ["DefinitionError"]


class DefinitionError(ModelError):
    """A definition that decodes but cannot be computed; ``path`` points at the culprit."""
