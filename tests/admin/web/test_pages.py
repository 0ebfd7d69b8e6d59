"""What each admin page does for the person using it, over the real services."""

from __future__ import annotations

import json
import re
from collections import Counter

from litestar import Litestar

from junction.admin.demo_data import ORDER_SOURCE_CONFIG
from junction.core.counters import add_counters
from junction.core.db import Database
from junction.core.db.types import utcnow
from junction.core.secrets import SecretBox
from junction.core.sync import SyncEngine, claim, list_runs
from tests.admin.web.helpers import Client, csrf_for
from tests.core.sync.world import add_people


async def _post(client: Client, path: str, **fields: str) -> object:
    return await client.post(
        path, data={"_csrf": await csrf_for(client), **fields}, follow_redirects=False
    )


async def test_the_catalog_lists_every_connector(app: Litestar, viewer: Client) -> None:
    page = (await viewer.get("/admin/connections/new")).text
    for info in app.state.plugins.catalog():
        assert info.title in page and info.name in page
    assert "audience_replace" in page


async def test_forms_come_from_the_config_schema(editor: Client) -> None:
    page = (await editor.get("/admin/connections/new/webhook")).text
    assert re.search(r'<input type="text" id="f-url" name="url" value="" required>', page)
    assert re.search(r'<input type="password" id="f-signing_secret" name="signing_secret"', page)
    assert re.search(r'type="number" id="f-timeout_seconds"[^>]*step="any"', page)
    export = (await editor.get("/admin/connections/new/file_export")).text
    assert '<option value="jsonl"' in export and "A folder name under" in export


async def test_a_bad_config_names_the_field_and_never_echoes_the_secret(editor: Client) -> None:
    response = await _post(
        editor,
        "/admin/connections/new/webhook",
        name="hook",
        url="http://127.0.0.1:9/h",
        signing_secret="too-short",
        timeout_seconds="abc",
    )
    assert response.status_code == 400
    assert "`config.timeout_seconds` must be a number" in response.text
    assert "too-short" not in response.text
    assert 'value="http://127.0.0.1:9/h"' in response.text  # what was typed stays


async def test_a_receiving_source_shows_its_write_key_once_and_rotates_it(editor: Client) -> None:
    created = await _post(editor, "/admin/connections/new/http", name="web")
    first = re.search(r'id="write-key">([^<]+)<', created.text)
    assert created.status_code == 200 and first
    detail = (await editor.get("/admin/connections/web")).text
    assert first.group(1) not in detail and "Rotate write key" in detail
    rotated = await _post(editor, "/admin/connections/web/rotate-key")
    second = re.search(r'id="write-key">([^<]+)<', rotated.text)
    assert second and second.group(1) != first.group(1)


async def test_test_connection_shows_the_checks_result(editor: Client) -> None:
    await _post(editor, "/admin/connections/new/file_export", name="exports", folder="x")
    checked = await _post(editor, "/admin/connections/exports/check")
    assert "Check passed" in checked.text


async def test_segments_preview_create_compute_and_history(
    app: Litestar, db: Database, editor: Client
) -> None:
    state = app.state
    await add_people(db, state.secrets, 4, tag="vip")
    preview = await _post(editor, "/admin/segments/preview", condition='{"type":"tag","tag":"vip"}')
    assert '<strong id="preview-count">4</strong>' in preview.text
    assert "@example.com" in preview.text and "person1@example.com" not in preview.text  # masked
    bad = await _post(editor, "/admin/segments/new", name="vips", condition="{nope")
    assert bad.status_code == 400 and "not valid JSON" in bad.text
    created = await _post(
        editor,
        "/admin/segments/new",
        name="vips",
        condition='{"type":"tag","tag":"vip"}',
        holdout_percent="10",
    )
    assert created.headers["location"] == "/admin/segments/vips?done=created"
    await _post(editor, "/admin/segments/vips/compute")
    await _post(editor, "/admin/segments/vips/compute")
    page = (await editor.get("/admin/segments/vips")).text
    assert "holdout: 10" in page and "treated: 90" in page
    assert "<svg" in page and "<polyline" in page
    edit = (await editor.get("/admin/segments/vips/edit")).text
    assert 'name="holdout_percent" value="10"' in edit


async def test_syncs_create_pause_run_and_show_the_run(
    app: Litestar, db: Database, editor: Client
) -> None:
    state = app.state
    await add_people(db, state.secrets, 3, tag="vip")
    await _post(editor, "/admin/connections/new/file_export", name="exports", folder="x")
    await _post(editor, "/admin/segments/new", name="vips", condition='{"type":"tag","tag":"vip"}')
    await _post(editor, "/admin/segments/vips/compute")
    refused = await _post(
        editor,
        "/admin/syncs/new",
        kind="push",
        name="vips-out",
        segment="vips",
        connection="exports",
        mode="mirror",
        identifiers="wechat_openid",
        enabled="on",
    )
    assert refused.status_code == 400 and "accepts" in refused.text
    created = await _post(
        editor,
        "/admin/syncs/new",
        kind="push",
        name="vips-out",
        segment="vips",
        connection="exports",
        mode="mirror",
        identifiers="email",
        enabled="on",
    )
    assert created.headers["location"] == "/admin/syncs/vips-out?done=created"
    await _post(editor, "/admin/syncs/vips-out/pause")
    paused = await _post(editor, "/admin/syncs/vips-out/run")
    assert paused.headers["location"].endswith("?error=disabled")
    assert "paused: enable it" in (await editor.get(paused.headers["location"])).text
    await _post(editor, "/admin/syncs/vips-out/enable")
    queued = await _post(editor, "/admin/syncs/vips-out/run")
    run_id = int(queued.headers["location"].split("/")[-1].split("?")[0])
    # The embedded worker is off in these tests: run it here, as the worker would.
    engine = SyncEngine(db, state.plugins, state.secrets)
    await claim(db, engine.worker, engine.lease, run_id=run_id)
    await engine.execute(run_id)
    page = (await editor.get(f"/admin/runs/{run_id}")).text
    assert 'id="run-status">succeeded<' in page and "acked" in page
    assert (await list_runs(db, sync="vips-out"))[0].accepted == 3
    listing = (await editor.get("/admin/runs?status=succeeded")).text
    assert f'href="/admin/runs/{run_id}"' in listing
    assert (
        f'href="/admin/runs/{run_id}"' not in (await editor.get("/admin/runs?status=failed")).text
    )
    replay = await _post(editor, "/admin/syncs/vips-out/replay")
    assert replay.headers["location"].endswith("done=replayed")


async def test_profiles_are_masked_and_reveal_is_admin_only_and_audited(
    app: Litestar, db: Database, admin: Client
) -> None:
    state = app.state
    box: SecretBox = state.secrets
    [pid] = await add_people(db, box, 1, tag="vip")
    found = (await admin.get("/admin/profiles?value=PERSON1@example.com")).text
    assert f'href="/admin/profiles/{pid}"' in found and "email" in found
    page = (await admin.get(f"/admin/profiles/{pid}")).text
    assert "person1@example.com" not in page and "vip · manual" in page
    revealed = await _post(admin, f"/admin/profiles/{pid}/reveal")
    assert "person1@example.com" in revealed.text
    audit = (await admin.get("/admin/audit?action=profile.reveal")).text
    assert f"profile:{pid}" in audit and "user:ada" in audit


async def test_audit_filters_by_action_prefix_and_actor(editor: Client) -> None:
    await _post(editor, "/admin/connections/new/file_export", name="exports", folder="x")
    await _post(editor, "/admin/connections/exports/check")
    page = (await editor.get("/admin/audit?action=connection.&actor=eddie")).text
    assert "connection.create" in page and "connection.check" in page and ">login<" not in page
    none = (await editor.get("/admin/audit?action=connection.&actor=someone-else")).text
    assert "No entries." in none


async def test_tokens_are_shown_once_and_revocable(admin: Client) -> None:
    created = await _post(admin, "/admin/tokens/", name="crm", role="editor")
    token = re.search(r'id="new-token">(jt_[^<]+)<', created.text)
    assert token
    listing = (await admin.get("/admin/tokens")).text
    assert token.group(1) not in listing and token.group(1)[:10] in listing
    api = await admin.get("/api/v1/segments", headers={"authorization": f"Bearer {token.group(1)}"})
    assert api.status_code == 200
    token_id = re.search(r'action="/admin/tokens/(\d+)/revoke"', listing)
    assert token_id
    await _post(admin, f"/admin/tokens/{token_id.group(1)}/revoke")
    admin.cookies.clear()
    api = await admin.get("/api/v1/segments", headers={"authorization": f"Bearer {token.group(1)}"})
    assert api.status_code == 401


async def test_admins_manage_users(admin: Client) -> None:
    short = await _post(admin, "/admin/users/", name="new", password="short", role="viewer")
    assert short.status_code == 400 and "at least 10 characters" in short.text
    await _post(admin, "/admin/users/", name="newbie", password="long enough pw", role="viewer")
    assert "newbie" in (await admin.get("/admin/users")).text
    self_disable = await _post(admin, "/admin/users/ada/disable")
    assert self_disable.status_code == 400
    await _post(admin, "/admin/users/newbie/disable")
    assert "disabled" in (await admin.get("/admin/users")).text


async def test_the_ui_speaks_chinese_when_asked(viewer: Client) -> None:
    page = await viewer.get("/admin/?lang=zh")
    assert ">连接<" in page.text and ">人群<" in page.text and 'lang="zh"' in page.text
    assert "junction_lang=zh" in page.headers.get("set-cookie", "")
    assert ">连接<" in (await viewer.get("/admin/connections")).text  # remembered


async def test_the_dashboard_shows_runs_failures_and_volumes(db: Database, editor: Client) -> None:
    await _post(editor, "/admin/connections/new/http", name="web")
    async with db.transaction() as session:
        await add_counters(session, Counter({(1, utcnow().strftime("%Y-%m-%d"), "accepted"): 4242}))
    page = (await editor.get("/admin/")).text
    assert "4,242" in page and 'href="/admin/connections/web"' in page
    assert "Failed and partial runs" in page and "No runs yet." in page


async def test_a_pull_sync_reads_a_source_into_the_hub(editor: Client) -> None:
    form = (await editor.get("/admin/syncs/new?kind=pull")).text
    assert "Source connection" in form and 'id="y-segment"' not in form
    created = await _post(
        editor,
        "/admin/connections/new/orderdb",
        name="shop-db",
        url="sqlite:///orders.db",
        table="orders",
        password="db-password-123",
        columns=json.dumps(ORDER_SOURCE_CONFIG["columns"]),
        identifiers=json.dumps(ORDER_SOURCE_CONFIG["identifiers"]),
    )
    assert created.headers["location"] == "/admin/connections/shop-db?done=created"
    assert '<option value="shop-db"' in (await editor.get("/admin/syncs/new?kind=pull")).text
    response = await _post(
        editor,
        "/admin/syncs/new",
        kind="pull",
        name="orders",
        connection="shop-db",
        schedule="*/15 * * * *",
        enabled="on",
    )
    assert response.headers["location"] == "/admin/syncs/orders?done=created"
    page = (await editor.get("/admin/syncs/orders")).text
    assert "*/15 * * * *" in page and ">pull<" in page
    bad = await _post(
        editor,
        "/admin/syncs/new",
        kind="pull",
        name="orders2",
        connection="shop-db",
        schedule="every hour",
    )
    assert bad.status_code == 400 and "schedule" in bad.text


async def test_dead_letters_show_on_the_run_and_replay_from_the_sync(
    app: Litestar, db: Database, editor: Client
) -> None:
    state = app.state
    await add_people(db, state.secrets, 2, tag="vip")  # e-mail only: no phone to send
    await _post(editor, "/admin/connections/new/file_export", name="exports", folder="x")
    await _post(editor, "/admin/segments/new", name="vips", condition='{"type":"tag","tag":"vip"}')
    await _post(editor, "/admin/segments/vips/compute")
    await _post(
        editor,
        "/admin/syncs/new",
        kind="push",
        name="by-phone",
        segment="vips",
        connection="exports",
        mode="mirror",
        identifiers="phone",
        enabled="on",
    )
    queued = await _post(editor, "/admin/syncs/by-phone/run")
    run_id = int(queued.headers["location"].split("/")[-1].split("?")[0])
    engine = SyncEngine(db, state.plugins, state.secrets)
    await claim(db, engine.worker, engine.lease, run_id=run_id)
    await engine.execute(run_id)
    run_page = (await editor.get(f"/admin/runs/{run_id}")).text
    assert 'id="run-status">partial<' in run_page
    assert run_page.count("<td>unprepared</td>") == 2 and "no usable identifier" in run_page
    sync_page = (await editor.get("/admin/syncs/by-phone")).text
    assert "Dead letters (2)" in sync_page and "Replay all dead letters" in sync_page
    await _post(editor, "/admin/syncs/by-phone/replay")
    assert "Dead letters (0)" in (await editor.get("/admin/syncs/by-phone")).text
    audit = (await editor.get("/admin/audit?action=sync.replay")).text
    assert "sync:by-phone" in audit


async def test_a_message_sync_is_created_from_the_form(
    app: Litestar, db: Database, editor: Client
) -> None:
    from junction.core.connections import Connections

    state = app.state
    config = {
        "access_key_id": "LTAI5tTestKeyId0001",
        "access_key_secret": "test-secret-value-0001",
        "sign_name": "Junction",
    }
    await Connections(db, state.plugins, state.secrets).create(
        name="sms", plugin="aliyun_sms", config=config, actor="t"
    )
    await _post(editor, "/admin/segments/new", name="vips", condition='{"type":"tag","tag":"vip"}')
    form = (await editor.get("/admin/syncs/new?kind=message")).text
    assert 'name="message"' in form and "SMS_0000001" in form
    assert '<option value="sms"' in form
    fields = {
        "kind": "message",
        "name": "welcome",
        "segment": "vips",
        "connection": "sms",
        "identifiers": "phone",
        "enabled": "on",
    }
    no_consent = await _post(editor, "/admin/syncs/new", message="{}", **fields)
    assert no_consent.status_code == 400 and "consent purpose" in no_consent.text
    broken = await _post(
        editor, "/admin/syncs/new", message="{nope", consent_purpose="sms", **fields
    )
    assert broken.status_code == 400 and "JSON" in broken.text
    message = {"platform_template": "SMS_152550005", "template": {"params": {"n": "1"}}}
    created = await _post(
        editor,
        "/admin/syncs/new",
        message=json.dumps(message),
        consent_purpose="sms",
        **fields,
    )
    assert created.headers["location"] == "/admin/syncs/welcome?done=created"
    page = (await editor.get("/admin/syncs/welcome")).text
    assert "welcome" in page and "message" in page
