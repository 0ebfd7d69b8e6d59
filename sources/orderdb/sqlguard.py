"""Refusing configured queries that are not a single read-only SELECT.

This guards against mistakes, not attacks: the read-only transaction every read runs
in is the real barrier, and a database user with SELECT rights only is the advice. The
check reads the query as the database would, blanking out string literals, quoted
identifiers and comments (per dialect), so a ``;`` or ``DELETE`` inside a string does
not count, and one hidden in a MySQL ``/*! ... */`` comment (which MySQL executes) does.
"""

from __future__ import annotations

import re

from junction.plugins import ConfigInvalid

__all__ = ["ensure_select"]

#: Words that make a statement write (or lock, or call out); quoting a column of the
#: same name keeps it out of this check.
_WRITING = frozenset(
    {
        "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "TRUNCATE", "DROP", "ALTER",
        "CREATE", "GRANT", "REVOKE", "COPY", "CALL", "EXEC", "EXECUTE", "INTO", "ATTACH",
    }
)  # fmt: skip
_LOCKING = re.compile(r"\bFOR\s+(KEY\s+)?SHARE\b|\bLOCK\s+IN\s+SHARE\s+MODE\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


def ensure_select(query: str, family: str, field: str) -> str:
    """The query without its trailing ``;``, if it is one read-only SELECT.

    Args:
        query: the configured SQL.
        family: ``postgresql``, ``mysql`` or ``sqlite``: how literals and comments read.
        field: the config field the query came from, for the error.

    Raises:
        ConfigInvalid: the query is empty, holds several statements, is not a SELECT
            (or ``WITH ... SELECT``), or contains a writing or locking clause.
    """
    code = _blank(query, family, field)
    body = code.rstrip()
    if body.endswith(";"):
        body = body[:-1].rstrip()
    if not body.strip():
        raise ConfigInvalid("the query is empty: give a single SELECT", field=field)
    if ";" in body:
        raise ConfigInvalid(
            "the query holds more than one statement: give a single SELECT without `;` "
            "in the middle",
            field=field,
        )
    head = body.lstrip("( \t\r\n")
    start = len(body) - len(head)
    first = _WORD.match(head)
    shown = (query[start : start + (first.end() if first else 20)].split() or [body])[0]
    if first is None or first.group(0).upper() not in ("SELECT", "WITH"):
        raise ConfigInvalid(
            f"the query must be a single SELECT (or WITH ... SELECT); it starts with {shown!r}",
            field=field,
        )
    for match in _WORD.finditer(body):
        word = match.group(0).upper()
        if word in _WRITING:
            raise ConfigInvalid(
                f"the query must be read-only, but it contains {word} (at character "
                f"{match.start() + 1}); if that is a column name, quote it",
                field=field,
            )
    if locking := _LOCKING.search(body):
        raise ConfigInvalid(
            f"the query must not lock rows, but it contains {locking.group(0)!r}", field=field
        )
    return query[: len(body)]


def _blank(sql: str, family: str, field: str) -> str:
    """``sql`` with literals, quoted names and comments blanked out (same length)."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        end = _skip(sql, i, family)
        if end is None:
            out.append(sql[i])
            i += 1
            continue
        if end < 0:
            raise ConfigInvalid(
                "the query has an unterminated string, quoted name or comment", field=field
            )
        # Comments become spaces (a trailing one is cut off with the whitespace: it
        # would comment out the parenthesis the query is wrapped in); literals and
        # quoted names become zeros, which are no keyword and are never cut.
        filler = " " if sql.startswith(("--", "/*", "#", "*/"), i) else "0"
        out.append(filler * (end - i))
        i = end
    return "".join(out)


def _skip(sql: str, i: int, family: str) -> int | None:
    """Where the literal or comment starting at ``i`` ends; None if none starts; -1 if
    it never ends."""
    char, pair = sql[i], sql[i : i + 2]
    if pair == "--" or (char == "#" and family == "mysql"):
        end = sql.find("\n", i)
        return len(sql) if end < 0 else end
    if pair == "/*":
        # MySQL runs the body of /*! ... */ as SQL: only the markers are blanked.
        if family == "mysql" and sql[i + 2 : i + 3] == "!":
            return i + 3
        return _comment_end(sql, i, nested=family == "postgresql")
    if char == "*" and family == "mysql" and sql[i : i + 2] == "*/":
        return i + 2  # the end of an executable comment
    if char == "'":
        backslash = family == "mysql" or (family == "postgresql" and _escape_prefix(sql, i))
        return _quoted_end(sql, i, "'", backslash)
    if char == '"':
        return _quoted_end(sql, i, '"', family == "mysql")
    if char == "`" and family in ("mysql", "sqlite"):
        return _quoted_end(sql, i, "`", False)
    if char == "[" and family == "sqlite":
        end = sql.find("]", i + 1)
        return -1 if end < 0 else end + 1
    if char == "$" and family == "postgresql" and (tag := _DOLLAR_TAG.match(sql, i)):
        if i > 0 and (sql[i - 1].isalnum() or sql[i - 1] == "_"):
            return None  # part of an identifier such as a$b$
        end = sql.find(tag.group(0), tag.end())
        return -1 if end < 0 else end + len(tag.group(0))
    return None


def _escape_prefix(sql: str, i: int) -> bool:
    """True when the quote at ``i`` opens a PostgreSQL E'...' string (backslash escapes)."""
    if i == 0 or sql[i - 1] not in "eE":
        return False
    return i == 1 or not (sql[i - 2].isalnum() or sql[i - 2] in "_$")


def _comment_end(sql: str, i: int, *, nested: bool) -> int:
    depth, j = 0, i
    while j < len(sql) - 1:
        pair = sql[j : j + 2]
        if pair == "/*" and (nested or depth == 0):
            depth, j = depth + 1, j + 2
        elif pair == "*/":
            depth, j = depth - 1, j + 2
            if depth == 0:
                return j
        else:
            j += 1
    return -1


def _quoted_end(sql: str, i: int, quote: str, backslash: bool) -> int:
    j = i + 1
    while j < len(sql):
        char = sql[j]
        if backslash and char == "\\":
            j += 2
        elif char == quote:
            if sql[j + 1 : j + 2] == quote:  # a doubled quote stands for itself
                j += 2
            else:
                return j + 1
        else:
            j += 1
    return -1
