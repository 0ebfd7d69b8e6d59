"""Users (argon2id hashes, roles, disable, passwd), sessions, throttling, and the CLI."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from junction.admin.cli import cli
from junction.core import login_throttle, users
from junction.core.db import Database
from junction.core.db.tables import AdminUser, LoginThrottle, WebSession
from junction.core.db.types import utcnow
from junction.core.errors import ConfigError, NotFoundError
from junction.core.web_sessions import end_session, open_session, start_session


async def test_passwords_are_stored_as_argon2id_only(db: Database) -> None:
    user = await users.create_user(
        db, name="ada", password="correct horse battery", role="admin", actor="test"
    )
    async with db.sessions() as session:
        stored = await session.scalar(select(AdminUser.password_hash))
    assert stored is not None and stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert user.role == "admin" and user.actor == "user:ada"
    assert await users.authenticate_user(db, "ada", "correct horse battery") is not None
    assert await users.authenticate_user(db, "ada", "wrong horse battery") is None
    assert await users.authenticate_user(db, "nobody", "correct horse battery") is None


@pytest.mark.parametrize(
    ("name", "password", "role", "message"),
    [
        ("ada", "short", "admin", "at least 10 characters"),
        ("ada", "long enough pw", "owner", "role must be one of viewer, editor, admin"),
        ("two words", "long enough pw", "viewer", "without spaces"),
    ],
)
async def test_bad_users_are_refused_with_a_reason(
    db: Database, name: str, password: str, role: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        await users.create_user(db, name=name, password=password, role=role, actor="test")


async def test_a_name_is_taken_once(db: Database) -> None:
    await users.create_user(db, name="ada", password="long enough pw", role="viewer", actor="t")
    with pytest.raises(ConfigError, match="already exists"):
        await users.create_user(db, name="ada", password="long enough pw", role="viewer", actor="t")


async def test_a_new_password_ends_every_session(db: Database) -> None:
    user = await users.create_user(
        db, name="ada", password="first password", role="editor", actor="t"
    )
    token = await start_session(db, user.id, ip="10.0.0.1")
    assert (await open_session(db, token)) is not None
    await users.set_password(db, "ada", "second password", actor="t")
    assert await open_session(db, token) is None
    assert await users.authenticate_user(db, "ada", "first password") is None
    assert await users.authenticate_user(db, "ada", "second password") is not None
    with pytest.raises(NotFoundError):
        await users.set_password(db, "nobody", "second password", actor="t")


async def test_sessions_expire_and_are_stored_hashed(db: Database) -> None:
    user = await users.create_user(
        db, name="ada", password="long enough pw", role="viewer", actor="t"
    )
    token = await start_session(db, user.id)
    async with db.sessions() as session:
        stored = await session.scalar(select(WebSession.token_hash))
    assert stored != token and len(stored or "") == 64
    info = await open_session(db, token)
    assert info is not None and info.user == "ada" and info.role == "viewer" and info.csrf_token
    async with db.transaction() as session:
        await session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert await open_session(db, token) is None
    token = await start_session(db, user.id)
    await end_session(db, token)
    assert await open_session(db, token) is None


async def test_throttling_counts_per_name_and_address_within_a_window(db: Database) -> None:
    for _ in range(login_throttle.MAX_FAILURES - 1):
        assert await login_throttle.record_failure(db, "ada", "10.0.0.1") is None
    assert await login_throttle.locked_until(db, "ada", "10.0.0.1") is None
    until = await login_throttle.record_failure(db, "ada", "10.0.0.1")
    assert until is not None and await login_throttle.locked_until(db, "ADA ", "10.0.0.1") == until
    assert await login_throttle.locked_until(db, "ada", "10.0.0.2") is None
    # An old window starts over.
    async with db.transaction() as session:
        await session.execute(
            update(LoginThrottle).values(
                window_started_at=utcnow() - login_throttle.WINDOW - timedelta(minutes=1),
                locked_until=utcnow() - timedelta(seconds=1),
            )
        )
    assert await login_throttle.record_failure(db, "ada", "10.0.0.1") is None
    await login_throttle.clear(db, "ada", "10.0.0.1")
    async with db.sessions() as session:
        assert await session.scalar(select(LoginThrottle.key)) is None


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path) -> Path:
    shutil.copyfile(sqlite_template, tmp_path / "junction.db")
    monkeypatch.setenv("JUNCTION_HOME", str(tmp_path))
    monkeypatch.delenv("JUNCTION_DATABASE_URL", raising=False)
    return tmp_path


def test_the_users_commands(home: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(
        cli,
        ["users", "create", "ada", "--role", "admin", "--generate-password"],
        catch_exceptions=False,
    )
    assert created.exit_code == 0, created.output
    assert "Created admin user ada" in created.output
    password = created.output.split("Password (shown once): ")[1].strip()
    assert len(password) >= 16
    typed = runner.invoke(
        cli, ["users", "create", "vera"], input="typed-password-1\ntyped-password-1\n"
    )
    assert typed.exit_code == 0, typed.output
    assert "typed-password-1" not in typed.output
    listed = runner.invoke(cli, ["users", "list"])
    assert "ada" in listed.output and "vera" in listed.output and "viewer" in listed.output
    assert "$argon2" not in listed.output
    changed = runner.invoke(cli, ["users", "passwd", "vera", "--generate-password"])
    assert changed.exit_code == 0 and "sessions ended" in changed.output
    disabled = runner.invoke(cli, ["users", "disable", "vera"])
    assert disabled.exit_code == 0 and "Disabled vera" in disabled.output
    unknown = runner.invoke(cli, ["users", "disable", "nobody"])
    assert unknown.exit_code != 0 and "no user named 'nobody'" in str(unknown.exception)
