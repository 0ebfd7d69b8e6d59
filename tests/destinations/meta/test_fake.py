"""The fake holds Meta's contract: what a broken client sends is refused or counted
invalid, exactly as meta.md says Meta does. (A fake that accepts anything proves nothing.)"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest

from ...fakes.meta import FakeMeta, sha256
from .helpers import APP_SECRET, TOKEN, fake

BASE = "https://graph.facebook.com/v25.0"


async def call(
    meta: FakeMeta, method: str, path: str, params: dict[str, Any], *, json_body: bool = False
) -> httpx.Response:
    encoded = {
        k: json.dumps(v) if isinstance(v, dict | list) else str(v) for k, v in params.items()
    }
    async with httpx.AsyncClient(transport=meta.transport(), base_url=BASE) as client:
        if method == "POST" and json_body:
            return await client.post(path, json=params)
        if method == "POST":
            return await client.post(path, data=encoded)
        return await client.request(method, path, params=encoded)


async def audience(meta: FakeMeta) -> str:
    response = await call(
        meta,
        "POST",
        "/act_1234567890/customaudiences",
        {
            "access_token": TOKEN,
            "name": "vips",
            "subtype": "CUSTOM",
            "customer_file_source": "USER_PROVIDED_ONLY",
        },
    )
    return response.json()["id"]


def upload(schema: list[str], data: list[list[Any]], seq: int = 1, last: bool = True) -> dict:
    return {
        "access_token": TOKEN,
        "payload": {"schema": schema, "is_raw": True, "data": data},
        "session": {"session_id": 77, "batch_seq": seq, "last_batch_flag": last},
    }


def error_of(response: httpx.Response) -> tuple[int, int | None]:
    error = response.json()["error"]
    return error["code"], error.get("error_subcode")


async def test_requests_without_the_right_token_or_proof_are_refused() -> None:
    meta = fake(app_secret=APP_SECRET)
    path = "/act_1234567890"
    assert error_of(await call(meta, "GET", path, {})) == (104, None)
    assert error_of(await call(meta, "GET", path, {"access_token": "EAAother"})) == (190, None)
    assert error_of(await call(meta, "GET", path, {"access_token": TOKEN})) == (100, None)
    wrong = {"access_token": TOKEN, "appsecret_proof": hashlib.sha256(b"x").hexdigest()}
    response = await call(meta, "GET", path, wrong)
    assert "Invalid appsecret_proof" in response.json()["error"]["message"]


async def test_wrong_version_and_json_bodies_are_refused() -> None:
    meta = fake()
    async with httpx.AsyncClient(transport=meta.transport()) as client:
        old = await client.get(
            "https://graph.facebook.com/v19.0/act_1234567890", params={"access_token": TOKEN}
        )
    assert old.json()["error"]["code"] == 2635
    aud = await audience(meta)
    sent = upload(["EMAIL"], [[sha256("a@b.co")]])
    response = await call(meta, "POST", f"/{aud}/users", sent, json_body=True)
    assert "unsupported content type" in response.json()["error"]["message"]


async def test_unhashed_misnormalized_and_misshaped_values_are_invalid_entries() -> None:
    meta = fake()
    meta.know(emails=["Ada@Example.com"], phones=["+8613800000001"])
    aud = await audience(meta)
    rows = [
        ["ada@example.com", ""],  # an unhashed e-mail
        [sha256("Ada@Example.com"), ""],  # hashed before lower-casing
        [sha256("ada@example.com").upper(), ""],  # upper-case digest
        [hashlib.md5(b"ada@example.com").hexdigest(), ""],  # wrong digest length
        ["", sha256("+8613800000001")],  # phone hashed with its "+"
        ["", sha256("13800000001")],  # phone without its country code
        [sha256("ada@example.com"), sha256("8613800000001")],  # right
    ]
    response = await call(meta, "POST", f"/{aud}/users", upload(["EMAIL", "PHONE"], rows))
    body = response.json()
    assert response.status_code == 200
    assert (body["num_received"], body["num_invalid_entries"]) == (7, 6)
    samples = body["invalid_entry_samples"]
    assert samples["ada@example.com"] == "EMAIL is not a lowercase hex SHA-256 digest"
    assert samples[sha256("Ada@Example.com")] == "EMAIL not trimmed and lower-cased"
    assert samples[sha256("+8613800000001")] == "PHONE hashed with its '+'"
    assert samples[sha256("13800000001")] == "PHONE without its country code"
    assert meta.members("vips") == {
        ("EMAIL", sha256("ada@example.com")),
        ("PHONE", sha256("8613800000001")),
    }


async def test_madid_must_be_raw_and_lower_case() -> None:
    meta = fake()
    aud = await audience(meta)
    rows = [
        ["AECE52E7-03EE-455A-B3C4-E57283966239"],
        [sha256("aece52e7-03ee-455a-b3c4-e57283966239")],
        ["aece52e7-03ee-455a-b3c4-e57283966239"],
    ]
    body = (await call(meta, "POST", f"/{aud}/users", upload(["MADID"], rows))).json()
    assert body["num_invalid_entries"] == 2
    assert meta.members("vips") == {("MADID", "aece52e7-03ee-455a-b3c4-e57283966239")}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (upload(["EMAIL"], [[sha256(f"{n}@x.io")] for n in range(10_001)]), "at most 10000"),
        (upload(["EMAIL", "PHONE"], [[sha256("a@b.co")]]), "does not have 2 entries"),
        (upload(["EMAIL", "EMAIL"], [["", ""]]), "distinct keys"),
        (upload(["MAIL"], [[""]]), "unknown schema keys"),
        ({**upload(["EMAIL"], [["x"]]), "session": None}, "session is not JSON"),
        (
            {k: v for k, v in upload(["EMAIL"], [["x"]]).items() if k != "session"},
            "session is required",
        ),
        (
            {**upload(["EMAIL"], [["x"]]), "session": {"session_id": 1, "batch_seq": 0}},
            "batch_seq must be an integer from 1",
        ),
        (
            {**upload(["EMAIL"], [["x"]]), "payload": {"schema": ["EMAIL"], "data": [["x"]]}},
            "is_raw=true",
        ),
    ],
)
async def test_malformed_uploads_fail_with_code_100(params: dict, message: str) -> None:
    meta = fake()
    aud = await audience(meta)
    response = await call(meta, "POST", f"/{aud}/users", params)
    assert response.status_code == 400 and error_of(response)[0] == 100
    assert message in response.json()["error"]["message"]
    assert meta.members("vips") == set()


async def test_sessions_must_move_forward_and_end_once() -> None:
    meta = fake()
    aud = await audience(meta)
    path = f"/{aud}/usersreplace"
    one = upload(["EMAIL"], [[sha256("a@b.co")]], seq=2, last=False)
    assert (await call(meta, "POST", path, one)).status_code == 200
    back = upload(["EMAIL"], [[sha256("c@d.co")]], seq=1, last=False)
    assert (
        "batch_seq 1 after 2" in (await call(meta, "POST", path, back)).json()["error"]["message"]
    )
    end = upload(["EMAIL"], [[sha256("c@d.co")]], seq=3, last=True)
    assert (await call(meta, "POST", path, end)).status_code == 200
    assert meta.members("vips") == {("EMAIL", sha256("a@b.co")), ("EMAIL", sha256("c@d.co"))}
    late = upload(["EMAIL"], [[sha256("e@f.co")]], seq=4, last=True)
    assert (
        "already received its last batch"
        in ((await call(meta, "POST", path, late)).json()["error"]["message"])
    )
    # The same session id can't switch to the /users edge.
    mixed = await call(meta, "POST", f"/{aud}/users", upload(["EMAIL"], [["x"]], seq=9))
    assert "belongs to /usersreplace" in mixed.json()["error"]["message"]


async def test_unknown_objects_answer_100_33() -> None:
    meta = fake()
    response = await call(meta, "GET", "/987654", {"access_token": TOKEN})
    assert error_of(response) == (100, 33)
    response = await call(meta, "GET", "/act_5", {"access_token": TOKEN})
    assert error_of(response) == (100, 33)
