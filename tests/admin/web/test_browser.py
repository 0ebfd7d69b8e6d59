"""End to end in a real browser: Debian's /usr/bin/chromium driven by Playwright.

The real app is served by uvicorn on 127.0.0.1 (an ephemeral port) over a fresh SQLite
database, with its background workers on, so "Run now" is picked up by the embedded
sync worker like in production. The test signs in, creates a file-export connection, a
segment and a push sync, runs it, watches the run succeed, and finds the audit entries.
Screenshots of the main pages go to the test's tmp folder, and to docs/screenshots/
when JUNCTION_UPDATE_SCREENSHOTS=1 (how the committed ones are refreshed).

No browser is ever downloaded (`playwright install` must not run). Without
/usr/bin/chromium the test is skipped, except in CI (CI=true), where that fails.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from junction.admin.app import create_app
from junction.core.db import Database
from junction.core.secrets import SecretBox
from junction.core.settings import Settings
from junction.core.users import create_user
from tests.core.sync.world import add_people

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SCREENSHOTS = Path(__file__).parents[3] / "docs" / "screenshots"
PASSWORD = "browser-admin-password"
PEOPLE = 5
VIEWPORT = {"width": 1366, "height": 860}  # a laptop screen


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: install Debian's chromium (./dev test does it)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _seed(settings: Settings) -> None:
    db = Database.open(settings.database_url)
    try:
        await create_user(db, name="ada", password=PASSWORD, role="admin", actor="test")
        box = SecretBox.from_settings(settings.secret_key, settings.home)
        await add_people(db, box, PEOPLE, tag="vip")
    finally:
        await db.close()


@pytest.fixture
def hub(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Path]]:
    """The real app on http://127.0.0.1:<port>, and its home folder."""
    _require_chromium()
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(sqlite_template, home / "junction.db")
    monkeypatch.setenv("JUNCTION_HOME", str(home))  # where file_export writes
    settings = Settings.from_env(
        {
            "JUNCTION_HOME": str(home),
            "JUNCTION_DATABASE_URL": f"sqlite+aiosqlite:///{home}/junction.db",
        }
    )
    asyncio.run(_seed(settings))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", home
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_an_admin_configures_and_runs_a_sync_in_the_browser(
    hub: tuple[str, Path], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, home = hub
    shots = tmp_path / "screenshots"
    shots.mkdir()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(15_000)

        def shot(name: str, *, full_page: bool = True) -> None:
            page.screenshot(path=str(shots / f"{name}.png"), full_page=full_page)

        # Signing in: an unknown session is sent to the login form first.
        page.goto(f"{base}/admin/")
        expect(page).to_have_url(re.compile(r"/admin/login\?next=%2Fadmin"))
        shot("login")
        page.fill("#name", "ada")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("Dashboard")

        # A connection, from the catalog's schema-generated form; "test connection".
        page.goto(f"{base}/admin/connections/new")
        shot("plugin-catalog")
        page.click("a[href='/admin/connections/new/file_export']")
        page.fill("#f-name", "exports")
        page.fill("#f-folder", "e2e")
        page.select_option("#f-format", "jsonl")
        shot("connection-form")
        page.click("#connection-form button[type=submit]")
        expect(page.locator(".flash.ok")).to_have_text("Created.")
        page.click("text=Test connection")
        expect(page.locator("#check-result")).to_contain_text("Check passed")
        shot("connection")

        # A segment, with its live preview counting the seeded people.
        page.goto(f"{base}/admin/segments/new")
        page.fill("#s-name", "vips")
        page.fill("#s-description", "Everyone tagged vip")
        # The row builder writes the DSL into the JSON box, and the preview follows.
        page.click("#b-add")
        row = page.locator("#b-rows .cond-row").first
        row.locator("select").first.select_option("tag")
        row.locator("input[data-key=tag]").fill("vip")
        expect(page.locator("#s-condition")).to_have_value(re.compile(r'"tag": "vip"'))
        expect(page.locator("#preview-count")).to_have_text(str(PEOPLE))
        page.fill("#s-holdout", "0")
        # Only the window here: after a full-page capture of this page, Chromium drops the
        # next click on the form (the capture resizes the view for a moment).
        page.evaluate("window.scrollTo(0, 0)")
        shot("segment-editor", full_page=False)
        page.click("#segment-form button[type=submit]")
        expect(page.locator(".flash.ok")).to_have_text("Created.")
        page.click("text=Compute now")
        expect(page.locator(".flash.ok")).to_have_text("Computed.")
        shot("segment")

        # A push sync: segment -> the file export, sending hashed e-mails.
        page.goto(f"{base}/admin/syncs/new")
        page.fill("#y-name", "vips-to-file")
        page.select_option("#y-segment", "vips")
        page.select_option("#y-connection", "exports")
        page.select_option("#y-mode", "mirror")
        page.fill("#y-identifiers", "email")
        shot("sync-form")
        page.click("#sync-form button[type=submit]")
        expect(page.locator(".flash.ok")).to_have_text("Created.")

        # Run now: the embedded worker picks it up; the run page refreshes until done.
        page.click("#run-now")
        expect(page.locator("#run-status")).to_have_text("succeeded", timeout=30_000)
        expect(page.locator(".stat").filter(has_text="Accepted")).to_contain_text(str(PEOPLE))
        shot("run")
        page.goto(f"{base}/admin/syncs/vips-to-file")
        shot("sync")

        # Everything above left its trail in the audit log.
        page.goto(f"{base}/admin/audit")
        audit = page.locator("#audit")
        for action in (
            "login",
            "connection.create",
            "connection.check",
            "segment.create",
            "sync.create",
            "sync.run",
        ):
            expect(audit.locator("code", has_text=action).first).to_be_visible()
        shot("audit")

        # A profile, masked; then the dashboard with the run on it.
        page.goto(f"{base}/admin/profiles?value=person1%40example.com")
        page.click("text=Profile 1")
        expect(page.locator("code").first).to_contain_text("*")
        shot("profile")
        page.goto(f"{base}/admin/")
        expect(page.locator("table").first).to_contain_text("vips-to-file")
        shot("dashboard")
        page.goto(f"{base}/admin/syncs/vips-to-file?lang=zh")
        expect(page.locator("#run-now")).to_have_text("立即运行")
        shot("sync-zh")
        browser.close()

    exported = list((home / "exports" / "e2e").rglob("*.jsonl"))
    assert exported, "the sync wrote the audience to the export folder"
    if os.environ.get("JUNCTION_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for png in shots.glob("*.png"):
            shutil.copyfile(png, SCREENSHOTS / png.name)
