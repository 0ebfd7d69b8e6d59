"""`junction demo` makes a web admin whose printed password signs in."""

from __future__ import annotations

from junction.admin.cli.demo import _admin_user
from junction.core.db import Database
from junction.core.users import authenticate_user, list_users


async def test_the_demo_admin_can_sign_in_and_never_replaces_a_user(db: Database) -> None:
    name, password = await _admin_user(db)
    assert name == "admin" and len(password) >= 16
    user = await authenticate_user(db, name, password)
    assert user is not None and user.role == "admin"
    second, other = await _admin_user(db)  # a hub that already has an "admin"
    assert second == "demo-admin" and other != password
    assert await authenticate_user(db, "admin", password) is not None
    assert [u.name for u in await list_users(db)] == ["admin", "demo-admin"]
