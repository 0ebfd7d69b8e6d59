"""Settings come from JUNCTION_* variables with documented defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from junction.core.errors import ConfigError
from junction.core.settings import ENVIRONMENT, Settings

DOCS = Path(__file__).parents[2] / "docs" / "operators.md"


def test_defaults_are_the_embedded_deployment() -> None:
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.database_url.endswith("/var/junction.db")
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.plugins is None


def test_variables_override_defaults(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "JUNCTION_HOME": str(tmp_path),
            "JUNCTION_DATABASE_URL": "postgresql+asyncpg://db/hub",
            "JUNCTION_PORT": "9001",
            "JUNCTION_PLUGINS": "hello, http",
        }
    )
    assert settings.home == tmp_path
    assert settings.database_url == "postgresql+asyncpg://db/hub"
    assert settings.port == 9001
    assert settings.plugins == frozenset({"hello", "http"})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"JUNCTION_PORT": "eighty"}, "JUNCTION_PORT must be a number"),
        ({"JUNCTION_PORT": "70000"}, "between 1 and 65535"),
        ({"JUNCTION_LOG_LEVEL": "loud"}, "JUNCTION_LOG_LEVEL must be one of"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_every_variable_is_documented_for_operators() -> None:
    text = DOCS.read_text()
    missing = [name for name in ENVIRONMENT if f"`{name}`" not in text]
    assert missing == []


def test_the_public_url_is_checked_and_normalized() -> None:
    assert Settings.from_env({}).public_url is None
    settings = Settings.from_env({"JUNCTION_PUBLIC_URL": " https://hub.example.com/ "})
    assert settings.public_url == "https://hub.example.com"
    with pytest.raises(ConfigError, match="JUNCTION_PUBLIC_URL must start with http"):
        Settings.from_env({"JUNCTION_PUBLIC_URL": "hub.example.com"})
