"""Database errors, translated into the plugin errors the sync engine acts on.

Drivers differ in their exceptions but agree, mostly, on SQLSTATE codes; MySQL's own
numbers and SQLite's error names fill the gaps. Messages quote the driver's text (which
never holds the password) and scrub the password anyway.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import DBAPIError

from junction.plugins import (
    AuthFailed,
    ConfigInvalid,
    PermanentFailure,
    PluginError,
    Retryable,
)
from junction.sources.orderdb.plan import Plan, Relation
from junction.sources.orderdb.url import describe

__all__ = ["translate"]

_MYSQL_AUTH = {1045, 1698}
_MYSQL_DENIED = {1044, 1142, 1143}
_MYSQL_NO_DATABASE = {1049}
_MYSQL_NO_TABLE = {1146}
_MYSQL_NO_COLUMN = {1054}
_MYSQL_READ_ONLY = {1792}
_MYSQL_TRANSIENT = {1040, 1205, 1213, 2002, 2003, 2006, 2013, 2055}
_SQLITE_TRANSIENT = {"SQLITE_BUSY", "SQLITE_LOCKED"}


def _facts(exc: BaseException) -> tuple[str, str, int | None, str]:
    """(sqlstate, message, MySQL error number, SQLite error name) of a driver error."""
    orig: Any = exc.orig if isinstance(exc, DBAPIError) else exc
    args = getattr(orig, "args", ()) or ()
    number = args[0] if args and isinstance(args[0], int) else None
    texts = [arg for arg in args if isinstance(arg, str)]
    message = texts[-1] if texts else str(orig) or type(orig).__name__
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or ""
    return str(state), message, number, str(getattr(orig, "sqlite_errorname", "") or "")


def translate(exc: BaseException, plan: Plan, relation: Relation | None = None) -> PluginError:
    """The plugin error for a failure talking to the customer's database.

    Args:
        exc: what SQLAlchemy or the driver raised.
        plan: the plan of the connection (to name the database and scrub the password).
        relation: the table or query being read, to name the field to fix.
    """
    state, message, number, sqlite = _facts(exc)
    if plan.config.password:
        message = message.replace(plan.config.password, "***")
    where = describe(plan.url)
    user = plan.url.username or ""
    field = relation.field if relation is not None else "table"
    label = relation.label if relation is not None else "the orders"
    if state.startswith("28") or number in _MYSQL_AUTH:
        return AuthFailed(
            f"{where} refused user {user!r}: {message}. Check the user name and password."
        )
    if state == "42501" or number in _MYSQL_DENIED:
        return AuthFailed(f"user {user!r} may not read {label}: grant it SELECT ({message})")
    if state == "3D000" or number in _MYSQL_NO_DATABASE:
        return ConfigInvalid(f"{where}: {message}", field="url")
    if sqlite == "SQLITE_CANTOPEN":
        return ConfigInvalid(f"can't open the {where}: {message}", field="url")
    if state in ("42P01", "42S02") or number in _MYSQL_NO_TABLE or "no such table" in message:
        return ConfigInvalid(f"{label} can't be read: {message}", field=field)
    if state in ("42703", "42S22") or number in _MYSQL_NO_COLUMN or "no such column" in message:
        return ConfigInvalid(f"{label} can't be read: {message}", field=field)
    if state == "25006" or number in _MYSQL_READ_ONLY or sqlite == "SQLITE_READONLY":
        return ConfigInvalid(f"{label} tried to write, in a read-only read: {message}", field=field)
    if _transient(exc, state, number, sqlite):
        return Retryable(f"{where} is unavailable: {message}")
    if state.startswith("42") or "syntax error" in message:
        return ConfigInvalid(f"the database refused {label}: {message}", field=field)
    return PermanentFailure(f"reading {label} from {where} failed: {message}")


def _transient(exc: BaseException, state: str, number: int | None, sqlite: str) -> bool:
    if isinstance(exc, OSError | TimeoutError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return (
        state.startswith(("08", "53", "57"))
        or state in ("40001", "40P01", "55P03")
        or number in _MYSQL_TRANSIENT
        or sqlite in _SQLITE_TRANSIENT
    )
