"""The fake refuses what the platform refuses, so the plugin's tests mean something."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from typing import Any

import httpx
import pytest

from junction.destinations.oceanengine.protobuf import DataType, encode_line

from ...fakes.oceanengine import DAY, FakeOceanEngine

BASE = "https://api.oceanengine.com/open_api/"


async def token(fake: FakeOceanEngine, client: httpx.AsyncClient) -> str:
    body = {
        "app_id": fake.app_id,
        "secret": fake.app_secret,
        "grant_type": "refresh_token",
        "refresh_token": fake.refresh_token,
    }
    answer = (await client.post("oauth2/refresh_token/", json=body)).json()
    assert answer["code"] == 0, answer
    return str(answer["data"]["access_token"])


def zipped(*lines: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ids.txt", "".join(line + "\n" for line in lines))
    return buffer.getvalue()


class Api:
    def __init__(self, fake: FakeOceanEngine, client: httpx.AsyncClient, token: str) -> None:
        self.fake, self.client, self.token = fake, client, token

    async def upload(self, data: bytes, signature: str | None = None) -> dict[str, Any]:
        fields = {
            "advertiser_id": str(self.fake.advertiser_id),
            "file_signature": signature or hashlib.md5(data).hexdigest(),
        }
        response = await self.client.post(
            "2/dmp/data_source/file/upload/",
            data=fields,
            files={"file": ("ids.zip", data, "application/zip")},
            headers={"Access-Token": self.token},
        )
        return dict(response.json())

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {"advertiser_id": self.fake.advertiser_id, **body}
        response = await self.client.post(path, json=body, headers={"Access-Token": self.token})
        return dict(response.json())

    async def create(self, file_path: str) -> str:
        answer = await self.post(
            "2/dmp/data_source/create/",
            {
                "data_source_name": "vips",
                "data_format": 0,
                "file_storage_type": 0,
                "file_paths": [file_path],
            },
        )
        assert answer["code"] == 0, answer
        return str(answer["data"]["data_source_id"])

    async def update(self, source: str, file_path: str, operation: int = 1) -> dict[str, Any]:
        return await self.post(
            "2/dmp/data_source/update/",
            {
                "data_source_id": source,
                "operation_type": operation,
                "data_format": 0,
                "file_storage_type": 0,
                "file_paths": [file_path],
            },
        )


@pytest.fixture
async def api() -> Any:
    fake = FakeOceanEngine(parse_reads=0, population=["13800138000"])
    async with httpx.AsyncClient(base_url=BASE, transport=fake.transport()) as client:
        yield Api(fake, client, await token(fake, client))


PHONE = hashlib.sha256(b"13800138000").hexdigest()


async def test_calls_without_a_valid_access_token_are_refused(api: Api) -> None:
    path = "2/dmp/custom_audience/select/"
    params = {"advertiser_id": str(api.fake.advertiser_id)}
    missing = (await api.client.get(path, params=params)).json()
    wrong = (await api.client.get(path, params=params, headers={"Access-Token": "x"})).json()
    assert (missing["code"], wrong["code"]) == (40104, 40105)
    api.fake.advance(DAY)
    expired = await api.client.get(path, params=params, headers={"Access-Token": api.token})
    assert expired.json()["code"] == 40102
    assert (await api.client.get(path[:-1], params=params)).status_code == 404


async def test_refreshing_rotates_the_refresh_token(api: Api) -> None:
    used = api.fake.refresh_token
    await token(api.fake, api.client)
    body = {"app_id": api.fake.app_id, "secret": api.fake.app_secret,
            "grant_type": "refresh_token", "refresh_token": used}  # fmt: skip
    assert (await api.client.post("oauth2/refresh_token/", json=body)).json()["code"] == 40107


async def test_uploads_are_checked_against_their_signature_and_size(api: Api) -> None:
    data = zipped(encode_line([(DataType.MOBILE_HASH_SHA256, PHONE)]))
    assert (await api.upload(data, signature="0" * 32))["message"].endswith("MD5")
    assert (await api.upload(data, signature=hashlib.md5(data).hexdigest().upper()))["code"]
    api.fake.max_zip_bytes = len(data) - 1
    assert "over" in (await api.upload(data))["message"]
    api.fake.max_zip_bytes = len(data)
    assert (await api.upload(data))["code"] == 0
    assert "not a zip" in (await api.upload(b"PK-not-really"))["message"]


async def test_a_phone_hashed_with_its_country_code_is_refused(api: Api) -> None:
    wrong = hashlib.sha256(b"+8613800138000").hexdigest()
    answer = await api.upload(zipped(encode_line([(DataType.MOBILE_HASH_SHA256, wrong)])))
    assert answer["code"] == 40000 and "country code" in answer["message"]


async def test_a_line_over_ten_thousand_ids_is_refused(api: Api) -> None:
    items = [(DataType.UID, str(n)) for n in range(5_001)]
    line = encode_line(items)  # two half lines joined in one DmpData: 10,002 ids
    doubled = base64.b64encode(base64.b64decode(line) * 2).decode()
    answer = await api.upload(zipped(doubled))
    assert answer["code"] == 40000 and "over 10,000" in answer["message"]


async def test_bodies_must_have_exactly_the_documented_fields(api: Api) -> None:
    path = (await api.upload(zipped()))["data"]["file_path"]
    source = await api.create(path)
    extra = await api.post("2/dmp/data_source/update/", {"data_source_id": source, "x": 1})
    assert "unknown fields" in extra["message"]
    as_int = await api.update(int(source), path)  # type: ignore[arg-type]
    assert "data_source_id must be str" in as_int["message"]
    assert "operation_type" in (await api.update(source, path, operation=4))["message"]
    assert "unknown or expired" in (await api.update(source, "tos-cn/other"))["message"]


async def test_updates_are_capped_daily_and_files_expire(api: Api) -> None:
    path = (await api.upload(zipped()))["data"]["file_path"]
    source = await api.create(path)
    for _ in range(50):
        assert (await api.update(source, path))["code"] == 0
    assert "50 updates a day" in (await api.update(source, path))["message"]
    api.fake.advance(DAY)
    api.token = await token(api.fake, api.client)
    assert (await api.update(source, path))["code"] == 0
    api.fake.advance(14 * DAY)
    api.token = await token(api.fake, api.client)
    assert "expired" in (await api.update(source, path))["message"]


async def test_publish_once_a_day_and_push_within_the_legal_entity(api: Api) -> None:
    line = encode_line([(DataType.MOBILE_HASH_SHA256, PHONE)])
    source = await api.create((await api.upload(zipped(line)))["data"]["file_path"])
    audience = api.fake.sources[source].audience_id
    publish = {"custom_audience_id": audience}
    assert (await api.post("2/dmp/custom_audience/publish/", publish))["code"] == 0
    assert "24 hours" in (await api.post("2/dmp/custom_audience/publish/", publish))["message"]
    push = {"custom_audience_id": audience, "target_advertiser_ids": [42]}
    assert "legal entity" in (await api.post("2/dmp/custom_audience/push_v2/", push))["message"]
    assert api.fake.published(source) == {("MOBILE_HASH_SHA256", PHONE)}
