"""Small SQL helpers shared by the engine's bulk statements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

__all__ = ["among"]


def among(column: Any, ids: Sequence[int], dialect: str) -> ColumnElement[bool]:
    """``column IN ids``, as one array parameter on PostgreSQL.

    An expanded ``IN`` of thousands of ids makes PostgreSQL plan a statement with that
    many parameters every time; ``= ANY(:ids)`` binds one array instead.
    """
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(BigInteger)))
    return column.in_(list(ids))  # type: ignore[no-any-return]
