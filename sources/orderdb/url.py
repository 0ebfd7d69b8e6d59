"""Turning the configured URL and password into the URL of an async SQLAlchemy engine."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from junction.plugins import ConfigInvalid

__all__ = ["DIALECTS", "database_url", "describe"]

#: Backend name (the URL's scheme before ``+``) to its family and default async driver.
DIALECTS: dict[str, tuple[str, str]] = {
    "postgresql": ("postgresql", "asyncpg"),
    "postgres": ("postgresql", "asyncpg"),
    "mysql": ("mysql", "asyncmy"),
    "mariadb": ("mysql", "asyncmy"),
    "sqlite": ("sqlite", "aiosqlite"),
}

#: The async drivers SQLAlchemy offers per family; sync ones (psycopg2, pymysql) are
#: swapped for the default, as the admin usually pastes the URL their app uses.
_ASYNC_DRIVERS: dict[str, frozenset[str]] = {
    "postgresql": frozenset({"asyncpg"}),
    "mysql": frozenset({"asyncmy", "aiomysql"}),
    "sqlite": frozenset({"aiosqlite"}),
}


def database_url(raw: str, password: str) -> tuple[URL, str]:
    """The engine URL (password injected) and the dialect family of ``raw``.

    SQLite files are opened read-only (``mode=ro``), so a mistyped path fails instead
    of creating an empty database.

    Raises:
        ConfigInvalid: the URL does not parse, names an unsupported database, carries
            a password of its own, or is an SQLite URL with a password or no file.
    """
    try:
        url = make_url(raw.strip())
    except ArgumentError:
        raise ConfigInvalid(
            "the database URL does not parse: write it like postgresql://user@host:5432/dbname",
            field="url",
        ) from None
    backend, _, driver = url.drivername.partition("+")
    if backend not in DIALECTS:
        supported = "postgresql://, mysql://, mariadb:// or sqlite://"
        raise ConfigInvalid(f"unsupported database {backend!r}: use {supported}", field="url")
    family, default_driver = DIALECTS[backend]
    if url.password is not None:
        # The URL is stored in clear; only the password field is encrypted at rest.
        raise ConfigInvalid(
            "the database URL contains a password: remove it and put it in the password "
            "field, which is stored encrypted",
            field="url",
        )
    if driver and driver not in _ASYNC_DRIVERS[family]:
        driver = default_driver
    name = "mariadb" if backend == "mariadb" else family
    url = url.set(drivername=f"{name}+{driver or default_driver}")
    if family == "sqlite":
        return _sqlite_url(url, password), family
    if family == "mysql" and "charset" not in url.query:
        url = url.update_query_dict({"charset": "utf8mb4"})
    if password:
        url = url.set(password=password)
    return url, family


def _sqlite_url(url: URL, password: str) -> URL:
    if password:
        raise ConfigInvalid(
            "SQLite databases have no password: leave the password field empty",
            field="password",
        )
    database = url.database or ""
    if database.startswith("file:"):
        raise ConfigInvalid(
            "give the SQLite file as a path (sqlite:///path/to/shop.db), not a file: URI",
            field="url",
        )
    if not database or database == ":memory:":
        raise ConfigInvalid(
            "an SQLite URL must name a database file: sqlite:///path/to/shop.db", field="url"
        )
    path = Path(database).expanduser().resolve()
    if not path.is_file():
        raise ConfigInvalid(f"the SQLite file {str(path)!r} does not exist", field="url")
    return url.set(database=path.as_uri(), query={**url.query, "mode": "ro", "uri": "true"})


def describe(url: URL) -> str:
    """The URL as it may be shown: password hidden, SQLite as its path."""
    if url.get_backend_name() == "sqlite":
        return f"sqlite file {unquote((url.database or '').removeprefix('file://'))}"
    return url.render_as_string(hide_password=True)
