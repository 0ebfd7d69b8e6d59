"""Settings, read from ``JUNCTION_*`` environment variables.

Every setting has a documented default so that ``junction serve`` with no environment
runs the embedded deployment: SQLite under ./var, one process. docs/operators.md lists
them all; tests/core/test_settings.py keeps that list and this module in step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import msgspec

from junction.core.errors import ConfigError

#: Environment variable → (attribute, default, one-line description). The order is the
#: order of docs/operators.md.
ENVIRONMENT: dict[str, tuple[str, str, str]] = {
    "JUNCTION_HOME": ("home", "./var", "Folder for the SQLite database, key file and exports."),
    "JUNCTION_DATABASE_URL": (
        "database_url",
        "",
        "SQLAlchemy async URL. Empty means sqlite+aiosqlite:///$JUNCTION_HOME/junction.db.",
    ),
    "JUNCTION_SECRET_KEY": (
        "secret_key",
        "",
        "Comma-separated base64 keys (32 bytes each); the first encrypts, all decrypt. "
        "Empty means the key file $JUNCTION_HOME/secret.key, created with mode 0600.",
    ),
    "JUNCTION_HOST": ("host", "127.0.0.1", "Address `junction serve` binds to."),
    "JUNCTION_PORT": ("port", "8000", "Port `junction serve` listens on."),
    "JUNCTION_LOG_LEVEL": ("log_level", "info", "debug, info, warning or error."),
    "JUNCTION_PLUGINS": (
        "plugins",
        "",
        "Comma-separated allow-list of plugin names to load. Empty loads every plugin.",
    ),
    "JUNCTION_PUBLIC_URL": (
        "public_url",
        "",
        "The hub's address as people reach it (https://hub.example.com), for links in "
        "notifications and e-mails. Empty: links are left out.",
    ),
}

_LOG_LEVELS = ("debug", "info", "warning", "error")


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """The hub's configuration. Build it with :meth:`from_env`."""

    home: Path
    database_url: str
    secret_key: str
    host: str
    port: int
    log_level: str
    plugins: frozenset[str] | None
    public_url: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings from ``environ`` (default: the process environment).

        Raises:
            ConfigError: a variable holds a value that can't be used, naming it.
        """
        env = os.environ if environ is None else environ
        raw = {attr: env.get(name, default) for name, (attr, default, _) in ENVIRONMENT.items()}
        home = Path(raw["home"]).expanduser()
        try:
            port = int(raw["port"])
        except ValueError:
            raise ConfigError(f"JUNCTION_PORT must be a number, got {raw['port']!r}") from None
        if not 0 < port < 65536:
            raise ConfigError(f"JUNCTION_PORT must be between 1 and 65535, got {port}")
        log_level = raw["log_level"].lower()
        if log_level not in _LOG_LEVELS:
            raise ConfigError(
                f"JUNCTION_LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)}, got {log_level!r}"
            )
        allow = {name.strip() for name in raw["plugins"].split(",") if name.strip()}
        return cls(
            home=home,
            database_url=raw["database_url"] or default_sqlite_url(home),
            secret_key=raw["secret_key"],
            host=raw["host"],
            port=port,
            log_level=log_level,
            plugins=frozenset(allow) if allow else None,
            public_url=_public_url(raw["public_url"]),
        )


def _public_url(value: str) -> str | None:
    value = value.strip().rstrip("/")
    if not value:
        return None
    if not value.startswith(("http://", "https://")):
        raise ConfigError(f"JUNCTION_PUBLIC_URL must start with http:// or https://, got {value!r}")
    return value


def default_sqlite_url(home: Path) -> str:
    """The embedded default: one SQLite file under the hub's home folder."""
    return f"sqlite+aiosqlite:///{(home / 'junction.db').resolve()}"
