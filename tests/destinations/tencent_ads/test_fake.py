"""The fake refuses what Tencent refuses: a fake that accepts anything proves nothing."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from typing import Any

import httpx
import pytest

from ...fakes.tencent_ads import BAD_TIMESTAMP, INVALID_PARAM, MISSING_COMMON, REPEATED_NONCE
from .common import ACCOUNT, fake, md5, sha256

BASE = "https://api.e.qq.com/v3.0/"


class Client:
    """Raw calls to the fake, with a valid token unless told otherwise."""

    def __init__(self, **kwargs: Any) -> None:
        self.platform = fake(**kwargs)
        self.http = httpx.Client(transport=self.platform.transport(), base_url=BASE)
        self.token = self.new_token()
        self.audience = self.call("POST", "custom_audiences/add", json=self.audience_body())
        assert self.audience["code"] == 0

    def new_token(self) -> str:
        answer = self.http.get(
            "https://api.e.qq.com/oauth/token",
            params={
                "client_id": self.platform.client_id,
                "client_secret": self.platform.client_secret,
                "grant_type": "refresh_token",
                "refresh_token": self.platform.refresh_token,
            },
        ).json()
        return str(answer["data"]["access_token"])

    def audience_body(self, **extra: Any) -> dict[str, Any]:
        return {"account_id": ACCOUNT, "name": "vips", "type": "CUSTOMER_FILE", **extra}

    def common(self, **overrides: Any) -> dict[str, Any]:
        params = {"access_token": self.token, "timestamp": int(time.time())}
        params["nonce"] = uuid.uuid4().hex
        return {k: v for k, v in {**params, **overrides}.items() if v is not None}

    def call(self, method: str, path: str, params: dict[str, Any] | None = None, **kw: Any):  # type: ignore[no-untyped-def]
        response = self.http.request(method, path, params=params or self.common(), **kw)
        assert response.status_code == 200
        assert response.headers["X-TSA-Trace-Id"] and response.headers["X-RateLimit-Remaining"]
        return response.json()

    def upload(
        self,
        lines: list[str] | bytes,
        user_id_type: str = "HASH_MOBILE_PHONE",
        filename: str = "ids.txt",
        **fields: str,
    ) -> dict[str, Any]:
        content = lines if isinstance(lines, bytes) else ("\n".join(lines) + "\n").encode()
        data = {
            "account_id": str(ACCOUNT),
            "audience_id": str(self.audience["data"]["audience_id"]),
            "user_id_type": user_id_type,
            **fields,
        }
        data = {k: v for k, v in data.items() if v}
        return self.call(
            "POST", "custom_audience_files/add", data=data, files={"file": (filename, content)}
        )


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"access_token": None}, MISSING_COMMON),
        ({"nonce": None}, MISSING_COMMON),
        ({"timestamp": None}, MISSING_COMMON),
        ({"access_token": "tencent-at-forged"}, 11002),
        ({"timestamp": int(time.time()) - 301}, BAD_TIMESTAMP),
        ({"timestamp": "soon"}, BAD_TIMESTAMP),
        ({"nonce": "n" * 33}, REPEATED_NONCE),
    ],
)
def test_bad_common_parameters_are_refused(override: dict[str, Any], code: int) -> None:
    client = Client()
    answer = client.call(
        "GET", "custom_audiences/get", {**client.common(**override), "account_id": ACCOUNT}
    )
    assert answer["code"] == code and "data" not in answer


def test_a_repeated_nonce_is_refused() -> None:
    client = Client()
    params = {**client.common(), "account_id": ACCOUNT}
    assert client.call("GET", "custom_audiences/get", params)["code"] == 0
    assert client.call("GET", "custom_audiences/get", params)["code"] == REPEATED_NONCE


def test_a_new_token_retires_the_old_one() -> None:
    client = Client()
    old = client.token
    client.token = client.new_token()
    params = {**client.common(access_token=old), "account_id": ACCOUNT}
    assert client.call("GET", "custom_audiences/get", params)["code"] == 11002


@pytest.mark.parametrize(
    ("lines", "kind", "message"),
    [
        (["13800138000"], "HASH_MOBILE_PHONE", "raw phone"),
        (["+8613800138000"], "HASH_MOBILE_PHONE", "raw phone"),
        ([md5("13800138000").upper()], "HASH_MOBILE_PHONE", "line 1"),
        ([md5("a"), sha256("b")], "HASH_MOBILE_PHONE", "line 2"),  # mixed types
        ([md5("a")], "SHA256_MOBILE_PHONE", "line 1"),
        (["ff1999cd-7177-4937-a474-74937a102630"], "IDFA", "line 1"),
        ([md5("a"), ""], "HASH_IDFA", "line 2"),  # blank line
        ([md5("a")], "HASH_EMAIL", "not supported"),
    ],
)
def test_lines_not_in_the_types_exact_form_are_refused(
    lines: list[str], kind: str, message: str
) -> None:
    client = Client()
    answer = client.upload(lines, kind)
    assert answer["code"] == INVALID_PARAM and message in answer["message"]
    assert client.platform.files == {}


def test_upload_fields_are_checked() -> None:
    client = Client()
    good = [md5("13800138000")]
    assert client.upload(good, operation_type="REPLACE")["code"] == INVALID_PARAM
    assert client.upload(good, "WECHAT_OPENID")["code"] == INVALID_PARAM  # no open_app_id
    assert client.upload(good, open_app_id="wx123")["code"] == INVALID_PARAM  # not openid
    assert client.upload(good, audience_id="424242")["code"] == 31002
    assert client.upload(good, account_id="222222")["code"] == 31002
    assert client.upload(good, filename="ids.xlsx")["code"] == INVALID_PARAM
    assert client.upload(b"a\r\nb\r\n", "OAID")["code"] == INVALID_PARAM
    assert client.upload(["oAbCdEfGhIjK"], "WECHAT_OPENID", open_app_id="wx1")["code"] == 0
    assert client.upload(good)["code"] == 0
    assert [f.operation_type for f in client.platform.files.values()] == ["APPEND", "APPEND"]
    # A JSON body is not a file upload.
    params = client.common()
    body = {"account_id": ACCOUNT, "audience_id": 1, "user_id_type": "HASH_IDFA"}
    answer = client.call("POST", "custom_audience_files/add", params, json=body)
    assert answer["code"] == INVALID_PARAM


def test_zip_files_are_opened_and_size_capped() -> None:
    client = Client(max_file_bytes=200)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ids.txt", md5("x") + "\n")
    assert client.upload(buffer.getvalue(), filename="ids.zip")["code"] == 0
    assert client.upload(b"not a zip", filename="ids.zip")["code"] == INVALID_PARAM
    too_big = [md5(str(i)) for i in range(7)]  # 231 bytes
    answer = client.upload(too_big)
    assert answer["code"] == INVALID_PARAM and "100 MB" in answer["message"]
    two = io.BytesIO()
    with zipfile.ZipFile(two, "w") as archive:
        archive.writestr("a.txt", md5("a") + "\n")
        archive.writestr("b.txt", md5("b") + "\n")
    assert client.upload(two.getvalue(), filename="ids.zip")["code"] == INVALID_PARAM


def test_audience_creation_is_checked() -> None:
    client = Client()
    for body in (
        client.audience_body(type="LOOKALIKE"),
        client.audience_body(name=""),
        client.audience_body(colour="red"),
        {**client.audience_body(), "account_id": "111111x"},
    ):
        assert client.call("POST", "custom_audiences/add", json=body)["code"] == INVALID_PARAM
    answer = client.call("POST", "custom_audiences/add", content=json.dumps(client.audience_body()))
    assert answer["code"] == INVALID_PARAM  # no JSON content type


def test_files_are_processed_asynchronously() -> None:
    client = Client(processing_polls=2)
    file_id = client.upload([md5("13800138000")])["data"]["custom_audience_file_id"]
    params = {"account_id": ACCOUNT, "custom_audience_file_id": file_id}
    seen = []
    for _ in range(3):
        answer = client.call("GET", "custom_audience_files/get", {**client.common(), **params})
        (item,) = answer["data"]["list"]
        seen.append((item["process_status"], item["user_count"]))
    assert seen == [("PROCESSING", 0), ("SUCCESS", 1), ("SUCCESS", 1)]
