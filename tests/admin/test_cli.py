"""The `junction` command line, run as users run it, against a fresh home folder."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from junction.admin.cli import cli

TOKEN = "hello-token-0123456789"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JUNCTION_HOME", str(tmp_path))
    for name in ("JUNCTION_DATABASE_URL", "JUNCTION_SECRET_KEY", "JUNCTION_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def junction(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def hello_platform() -> Iterator[str]:
    """A real HTTP server answering hello_webhook's /v1/me only for the right token."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ok = self.headers.get("Authorization") == f"Bearer {TOKEN}"
            body = json.dumps({"account": "acme"} if ok else {"error": "bad token"}).encode()
            self.send_response(200 if ok else 401)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_help_explains_commands_and_environment() -> None:
    result = junction("--help")
    assert result.exit_code == 0
    for word in ("serve", "migrate", "plugins", "connections", "audit", "JUNCTION_DATABASE_URL"):
        assert word in result.output


def test_plugins_list_shows_the_installed_third_party_plugin(home: Path) -> None:
    result = junction("plugins", "list", "--json")
    catalog = {info["name"]: info for info in json.loads(result.output)}
    assert catalog["hello_webhook"]["origin"] == "junction-hello 0.1.0"
    assert catalog["hello_webhook"]["kind"] == "destination"


def test_plugin_commands_are_added_through_the_hook(home: Path) -> None:
    assert "hello" in junction("--help").output


def test_migrate_then_connections_lifecycle(home: Path, hello_platform: str) -> None:
    assert junction("migrate").exit_code == 0
    added = junction(
        "connections", "add", "crm", "--plugin", "hello_webhook",
        "--set", f"url={hello_platform}", "--set", f"token={TOKEN}",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "secrets set: token" in added.output
    listed = junction("connections", "list")
    assert "crm" in listed.output and "hello_webhook" in listed.output
    checked = junction("connections", "check", "crm")
    assert checked.exit_code == 0, checked.output
    assert "Connected to Hello account acme" in checked.output
    for output in (added.output, listed.output, checked.output):
        assert TOKEN not in output
    with sqlite3.connect(home / "junction.db") as connection:
        stored = connection.execute("SELECT config, secrets FROM connections").fetchone()
    assert TOKEN not in stored[0] and TOKEN.encode() not in stored[1]
    assert junction("audit", "verify").exit_code == 0


def test_failed_check_exits_1_without_the_secret(home: Path, hello_platform: str) -> None:
    junction("migrate")
    junction(
        "connections", "add", "crm", "--plugin", "hello_webhook",
        "--set", f"url={hello_platform}", "--set", "token=wrong-token-abcdef",
    )  # fmt: skip
    result = junction("connections", "check", "crm")
    assert result.exit_code == 1
    assert "FAILED" in result.output
    assert "wrong-token-abcdef" not in result.output


def test_bad_input_is_refused_clearly_and_changes_nothing(home: Path) -> None:
    junction("migrate")
    unknown = CliRunner().invoke(cli, ["connections", "add", "x", "--plugin", "helo_webhook"])
    assert unknown.exit_code == 1
    assert "Did you mean 'hello_webhook'" in str(unknown.exception or unknown.output)
    invalid = CliRunner().invoke(
        cli, ["connections", "add", "x", "--plugin", "hello_webhook", "--set", "token=abcdefgh"]
    )
    assert "missing required field `url`" in str(invalid.exception)
    assert "No connections yet" in junction("connections", "list").output


def test_commands_refuse_an_unmigrated_database(home: Path) -> None:
    result = CliRunner().invoke(cli, ["connections", "list"])
    assert "run `junction migrate`" in str(result.exception)


def test_audit_verify_exits_1_when_the_log_was_edited(home: Path, hello_platform: str) -> None:
    junction("migrate")
    junction(
        "connections", "add", "crm", "--plugin", "hello_webhook",
        "--set", f"url={hello_platform}", "--set", f"token={TOKEN}",
    )  # fmt: skip
    with sqlite3.connect(home / "junction.db") as connection:
        connection.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 1")
    result = junction("audit", "verify")
    assert result.exit_code == 1
    assert "entry 1 (connection.create) was altered" in result.output


def test_secret_key_generate_prints_a_usable_key(home: Path) -> None:
    from junction.core.secrets import SecretBox

    key = junction("secret-key", "generate").output.strip()
    assert SecretBox.from_settings(key, home).key_id
