"""Config refusals that need no database: URLs, the SELECT guard, cross-field rules."""

from __future__ import annotations

import importlib.util
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest

from junction.plugins import ConfigInvalid
from junction.sources.orderdb import OrderDbConfig, OrderDbSource
from junction.sources.orderdb.pages import Position, start_position
from junction.sources.orderdb.plan import make_plan
from junction.sources.orderdb.session import engine_for
from junction.sources.orderdb.sqlguard import ensure_select
from junction.sources.orderdb.url import database_url

COLUMNS = {
    "order_id": "id",
    "status": "status",
    "amount": "total",
    "currency": "currency",
    "created_at": "created_at",
    "updated_at": "updated_at",
}


def config(**fields: Any) -> OrderDbConfig:
    raw = {"url": "postgresql://reader@db.example/shop", "table": "orders", "columns": COLUMNS}
    return msgspec.convert({**raw, **fields}, type=OrderDbConfig)


def refusal(**fields: Any) -> ConfigInvalid:
    with pytest.raises(ConfigInvalid) as refused:
        make_plan(config(**fields))
    return refused.value


@pytest.mark.parametrize(
    ("raw", "driver"),
    [
        ("postgresql://reader@db.example:5432/shop", "postgresql+asyncpg"),
        ("postgresql+psycopg2://reader@db.example/shop", "postgresql+asyncpg"),
        ("postgresql+asyncpg://reader@db.example/shop", "postgresql+asyncpg"),
        ("mysql://reader@db.example/shop", "mysql+asyncmy"),
        ("mysql+pymysql://reader@db.example/shop", "mysql+asyncmy"),
        ("mysql+aiomysql://reader@db.example/shop", "mysql+aiomysql"),
        ("mariadb://reader@db.example/shop", "mariadb+asyncmy"),
    ],
)
def test_urls_get_an_async_driver(raw: str, driver: str) -> None:
    url, _ = database_url(raw, "s3cret-pass")
    assert url.drivername == driver
    assert url.password == "s3cret-pass"
    assert "s3cret-pass" not in str(url)  # SQLAlchemy hides it when printed


def test_mysql_urls_speak_utf8mb4() -> None:
    url, family = database_url("mysql://reader@db.example/shop", "")
    assert (family, url.query["charset"], url.password) == ("mysql", "utf8mb4", None)


def test_sqlite_urls_open_the_file_read_only(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    path.write_bytes(b"")

    url, family = database_url(f"sqlite:///{path}", "")

    assert family == "sqlite"
    assert url.drivername == "sqlite+aiosqlite"
    assert url.database == path.as_uri()
    assert dict(url.query) == {"mode": "ro", "uri": "true"}


@pytest.mark.parametrize(
    ("raw", "password", "field", "words"),
    [
        ("not a url", "", "url", "does not parse"),
        ("oracle://scott@db/orcl", "", "url", "unsupported database 'oracle'"),
        ("postgresql://reader:hunter22@db/shop", "", "url", "contains a password"),
        ("sqlite:///nowhere/shop.db", "", "url", "does not exist"),
        ("sqlite://", "", "url", "must name a database file"),
        ("sqlite:///:memory:", "", "url", "must name a database file"),
    ],
)
def test_bad_urls_are_refused(raw: str, password: str, field: str, words: str) -> None:
    with pytest.raises(ConfigInvalid) as refused:
        database_url(raw, password)
    assert refused.value.field == field
    assert words in refused.value.message
    assert "hunter22" not in refused.value.message


def test_a_password_in_the_url_is_not_echoed() -> None:
    assert "hunter22" not in refusal(url="postgresql://reader:hunter22@db/shop").message


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"table": None}, "table", "either table or query"),
        ({"query": "SELECT 1"}, "table", "either table or query"),
        ({"table": None, "query": "DELETE FROM orders"}, "query", "starts with 'DELETE'"),
        ({"columns": {**COLUMNS, "currency": None}}, "currency", "no currency"),
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone 'Mars/Olympus'"),
        ({"identifiers": {"wechat_openid": "openid"}}, "wechat_app_id", "WeChat app"),
        ({"items": {"table": "lines", "json_column": "lines"}}, "items.table", "exactly one"),
        ({"items": {}}, "items.table", "exactly one"),
        ({"items": {"query": "TRUNCATE lines"}}, "items.query", "starts with 'TRUNCATE'"),
    ],
)
def test_cross_field_rules(fields: dict[str, Any], field: str, words: str) -> None:
    refused = refusal(**fields)
    assert refused.field == field
    assert words in refused.message


def test_decoding_names_the_bad_field() -> None:
    with pytest.raises(msgspec.ValidationError, match=r"\$\.identifiers"):
        config(identifiers={"shoe_size": "size"})
    with pytest.raises(msgspec.ValidationError, match=r"\$\.currency"):
        config(currency="yuan")
    with pytest.raises(msgspec.ValidationError, match=r"\$\.columns"):
        config(columns={"order_id": "id"})


def test_the_documented_examples_are_valid_configs() -> None:
    doc = Path(__file__).parents[3] / "docs" / "sources" / "orderdb.md"
    blocks = re.findall(r"```json\n(.*?)```", doc.read_text(), flags=re.DOTALL)
    assert len(blocks) == 2
    for block in blocks:
        plan = make_plan(msgspec.json.decode(block, type=OrderDbConfig))
        assert plan.url.drivername in ("postgresql+asyncpg", "mysql+asyncmy")


def test_the_schema_marks_the_password_secret_and_lists_identifier_types() -> None:
    schema = OrderDbSource.spec.config_schema()
    assert OrderDbSource.spec.secret_fields == {"password"}
    names = schema["properties"]["identifiers"]["propertyNames"]["enum"]
    assert {"user_id", "phone", "email", "wechat_unionid"} <= set(names)
    assert schema["required"] == ["url", "columns"]


# --- The SELECT guard, per dialect ---------------------------------------------------


@pytest.mark.parametrize(
    ("family", "query", "kept"),
    [
        ("postgresql", "SELECT * FROM orders;", "SELECT * FROM orders"),
        ("postgresql", "  select 1 -- note; drop\n", "  select 1"),
        ("postgresql", "WITH t AS (SELECT 1) SELECT * FROM t", None),
        ("postgresql", "(SELECT 1) UNION ALL (SELECT 2)", None),
        ("postgresql", "SELECT 'a;b', $$x; DELETE$$, \"update\" FROM t", None),
        ("postgresql", "SELECT $tag$ ' $tag$ FROM t", None),
        ("postgresql", "SELECT a /* nested /* ; */ still */ FROM t", None),
        ("postgresql", "SELECT created_at, last_update, deleted FROM t", None),
        ("mysql", "SELECT `delete`, 'it''s; fine', 'a\\'; b' FROM t", None),
        ("mysql", "SELECT 1 # comment; drop\n FROM t", None),
        ("sqlite", "SELECT [update], `insert` FROM t", None),
        ("sqlite", "SELECT 'x' FROM t WHERE a = 'y' ", "SELECT 'x' FROM t WHERE a = 'y'"),
    ],
)
def test_single_selects_pass(family: str, query: str, kept: str | None) -> None:
    assert ensure_select(query, family, "query") == (kept if kept is not None else query)


@pytest.mark.parametrize(
    ("family", "query", "words"),
    [
        ("postgresql", "", "empty"),
        ("postgresql", "-- only a comment", "empty"),
        ("postgresql", "INSERT INTO t VALUES (1)", "starts with 'INSERT'"),
        ("postgresql", "SELECT 1; SELECT 2", "more than one statement"),
        ("postgresql", "SELECT 1 # 2; DELETE FROM t", "more than one statement"),
        ("postgresql", "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "DELETE"),
        ("postgresql", "SELECT * FROM t FOR SHARE", "must not lock rows"),
        ("postgresql", "SELECT nextval('s') INTO x", "INTO"),
        ("postgresql", "SELECT E'\\'; DELETE FROM t", "unterminated"),
        ("postgresql", "SELECT 'open", "unterminated"),
        ("postgresql", "SELECT /* open", "unterminated"),
        ("postgresql", "VALUES (1)", "starts with 'VALUES'"),
        ("postgresql", "x SELECT 1", "starts with 'x'"),
        ("postgresql", "'lit' SELECT 1", "starts with \"'lit'\""),
        ("mysql", "SELECT 1 /*!; DELETE FROM t */", "more than one statement"),
        ("mysql", "SELECT * FROM t LOCK IN SHARE MODE", "must not lock rows"),
        ("mysql", "SELECT * FROM t INTO OUTFILE '/tmp/x'", "INTO"),
        ("sqlite", "ATTACH 'x.db' AS x", "starts with 'ATTACH'"),
        ("sqlite", "PRAGMA writable_schema = 1", "starts with 'PRAGMA'"),
    ],
)
def test_everything_else_is_refused(family: str, query: str, words: str) -> None:
    with pytest.raises(ConfigInvalid) as refused:
        ensure_select(query, family, "items.query")
    assert refused.value.field == "items.query"
    assert words in refused.value.message


async def test_a_driver_that_is_not_installed_is_named() -> None:
    if importlib.util.find_spec("aiomysql") is not None:
        pytest.skip("aiomysql is installed here")
    plan = make_plan(config(url="mysql+aiomysql://reader@db.example/shop"))

    with pytest.raises(ConfigInvalid) as refused:
        async with engine_for(plan):
            pass

    assert refused.value.field == "url"
    assert "the driver 'mysql+aiomysql' is not installed" in refused.value.message


@pytest.mark.parametrize(
    "state",
    [{"cursor": "yesterday", "key": 1}, {"cursor": "2024-03-01T12:00:00", "key": 1}, {"k": 1}],
)
def test_a_state_this_source_did_not_write_is_refused(state: dict[str, Any]) -> None:
    with pytest.raises(ConfigInvalid, match="is not an orderdb checkpoint: reset"):
        start_position(state, timedelta(0))


def test_the_lookback_starts_before_the_saved_cursor_including_its_ties() -> None:
    state = {"cursor": "2024-03-01T12:00:00+00:00", "key": 7}

    assert start_position(state, timedelta(minutes=5)) == Position(
        cursor=datetime(2024, 3, 1, 11, 55, tzinfo=UTC)
    )
    assert start_position(state, timedelta(0)) == Position(
        cursor=datetime(2024, 3, 1, 12, tzinfo=UTC), key=7
    )
    assert start_position({}, timedelta(minutes=5)) is None
