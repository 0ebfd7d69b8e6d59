"""Portable SQL pieces the compiler needs where the two databases spell things differently."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

__all__ = ["contains_text"]


class contains_text(FunctionElement[bool]):
    """``haystack`` contains ``needle``, case-sensitively, on every database.

    ``LIKE`` would be the obvious choice, but SQLite's LIKE ignores ASCII case and
    PostgreSQL's does not; ``instr`` (SQLite) and ``strpos`` (PostgreSQL) both find a
    substring by code points, as Python's ``in`` does.
    """

    type = Boolean()
    inherit_cache = True

    def __init__(self, haystack: ColumnElement[Any], needle: ColumnElement[Any] | str) -> None:
        super().__init__(haystack, needle)


@compiles(contains_text)
def _contains_sqlite(element: contains_text, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(func.instr(*element.clauses) > 0, **kw))


@compiles(contains_text, "postgresql")
def _contains_postgresql(element: contains_text, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(func.strpos(*element.clauses) > 0, **kw))
