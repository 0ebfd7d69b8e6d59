"""Adds and removes as ID files, and following them until Tencent has processed them."""

from __future__ import annotations

import io
import zipfile

from junction.destinations.tencent_ads.files import IdFile, encode
from junction.plugins import (
    Audience,
    AudienceRequest,
    JobState,
    RecordStatus,
)

from .common import CONNECTOR, context, fake, md5, member, phone

OPENID = "oAbCdEfGhIjKlMnOpQrStUvWxYz0"


async def audience_on(platform, ctx) -> Audience:  # type: ignore[no-untyped-def]
    return await CONNECTOR.ensure_audience(ctx, AudienceRequest(name="vips"))


async def settle(ctx, result):  # type: ignore[no-untyped-def]
    """Poll the batch's job until it is done; the final status."""
    for _ in range(10):
        status = await CONNECTOR.poll(ctx, result.job)
        if status.state is not JobState.PENDING:
            return status
    raise AssertionError("the job never finished")


async def test_add_uploads_one_append_file_per_id_type() -> None:
    platform = fake()
    ctx = context(platform)
    audience = await audience_on(platform, ctx)
    members = [
        phone("p1", "13800138000"),
        member(
            "p2",
            ("phone", "HASH_MOBILE_PHONE", md5("13900139000")),
            ("idfa", "HASH_IDFA", md5("FF1999CD-7177-4937-A474-74937A102630")),
        ),
        member("w1", ("wechat_openid", "WECHAT_OPENID", OPENID, "wxapp1")),
        member("w2", ("wechat_openid", "WECHAT_OPENID", OPENID, "wxapp2")),
    ]
    result = await CONNECTOR.add(ctx, audience, members)
    assert [r.status for r in result.results] == [RecordStatus.ACCEPTED] * 4
    assert result.received == 4 and result.invalid == 0
    files = sorted(platform.files.values(), key=lambda f: f.file_id)
    assert [(f.user_id_type, f.open_app_id, f.operation_type) for f in files] == [
        ("HASH_MOBILE_PHONE", "", "APPEND"),
        ("HASH_IDFA", "", "APPEND"),
        ("WECHAT_OPENID", "wxapp1", "APPEND"),
        ("WECHAT_OPENID", "wxapp2", "APPEND"),
    ]
    assert files[0].lines == [md5("13800138000"), md5("13900139000")]
    assert result.job is not None and len(result.job.data["files"]) == 4
    # Nothing changes on Tencent's side until the files are processed.
    assert platform.members(audience.id) == set()
    first = await CONNECTOR.poll(ctx, result.job)
    assert first.state is JobState.PENDING
    done = await settle(ctx, result)
    assert done.state is JobState.SUCCEEDED and done.matched == 5 and done.results == ()
    assert platform.members(audience.id) == {
        ("HASH_MOBILE_PHONE", md5("13800138000")),
        ("HASH_MOBILE_PHONE", md5("13900139000")),
        ("HASH_IDFA", md5("FF1999CD-7177-4937-A474-74937A102630")),
        ("WECHAT_OPENID", f"wxapp1:{OPENID}"),
        ("WECHAT_OPENID", f"wxapp2:{OPENID}"),
    }


async def test_remove_uploads_reduce_files() -> None:
    platform = fake(processing_polls=0)
    ctx = context(platform)
    audience = await audience_on(platform, ctx)
    members = [phone(f"k{i}", f"1380013800{i}") for i in range(5)]
    await settle(ctx, await CONNECTOR.add(ctx, audience, members))
    result = await CONNECTOR.remove(ctx, audience, members[:2])
    assert {r.key for r in result.results} == {"k0", "k1"}
    assert [f.operation_type for f in platform.files.values()] == ["APPEND", "REDUCE"]
    await settle(ctx, result)
    assert platform.members(audience.id) == {
        ("HASH_MOBILE_PHONE", md5(f"1380013800{i}")) for i in range(2, 5)
    }


async def test_members_no_file_can_take_are_rejected_alone() -> None:
    platform = fake(processing_polls=0)
    ctx = context(platform)
    audience = await audience_on(platform, ctx)
    members = [
        phone("good", "13800138000"),
        member("raw", ("phone", "HASH_MOBILE_PHONE", "13800138000")),
        member("upper", ("phone", "HASH_MOBILE_PHONE", md5("13800138001").upper())),
        member("openid-without-app", ("wechat_openid", "WECHAT_OPENID", OPENID)),
        member("unknown", ("email", "EMAIL_SHA256", "x" * 64)),
        member("nothing"),
    ]
    result = await CONNECTOR.add(ctx, audience, members)
    by_key = {r.key: r for r in result.results}
    assert by_key["good"].status is RecordStatus.ACCEPTED
    assert {k for k, r in by_key.items() if r.status is RecordStatus.REJECTED} == {
        "raw",
        "upper",
        "openid-without-app",
        "unknown",
        "nothing",
    }
    assert "not a valid HASH_MOBILE_PHONE value" in (by_key["raw"].reason or "")
    assert "app id" in (by_key["openid-without-app"].reason or "")
    assert "no Tencent user_id_type" in (by_key["unknown"].reason or "")
    assert result.invalid == 5 and result.received == 1
    # Only the good line was uploaded; the rejected ones never left the hub.
    (upload,) = platform.files.values()
    assert upload.lines == [md5("13800138000")]


async def test_a_file_tencent_fails_rejects_only_members_without_another_file() -> None:
    platform = fake(processing_polls=1)
    ctx = context(platform)
    audience = await audience_on(platform, ctx)
    platform.fail_next("process_error")  # the first file (phones) ends in ERROR
    members = [
        phone("phone-only", "13800138000"),
        member(
            "both",
            ("phone", "HASH_MOBILE_PHONE", md5("13900139000")),
            ("idfa", "HASH_IDFA", md5("FF1999CD-7177-4937-A474-74937A102630")),
        ),
        member("bad", ("phone", "HASH_MOBILE_PHONE", "13800138000")),
    ]
    result = await CONNECTOR.add(ctx, audience, members)
    status = await settle(ctx, result)
    assert status.state is JobState.SUCCEEDED
    by_key = {r.key: r for r in status.results}
    assert set(by_key) == {"phone-only", "both", "bad"}  # complete, as the engine needs
    assert by_key["both"].status is RecordStatus.ACCEPTED
    assert by_key["phone-only"].status is RecordStatus.REJECTED
    assert by_key["phone-only"].code == "1001"
    assert "could not process" in (by_key["phone-only"].reason or "")
    assert by_key["bad"].status is RecordStatus.REJECTED
    assert platform.members(audience.id) == {
        ("HASH_IDFA", md5("FF1999CD-7177-4937-A474-74937A102630"))
    }


async def test_a_file_refused_at_upload_rejects_its_members_with_tencents_code() -> None:
    platform = fake(processing_polls=0, max_file_bytes=100)
    ctx = context(platform)
    audience = await audience_on(platform, ctx)
    members = [phone(f"k{i}", f"1380013800{i}") for i in range(5)]  # 165 bytes of lines
    members.append(member("i", ("idfa", "HASH_IDFA", md5("FF1999CD-7177-4937-A474-74937A102630"))))
    result = await CONNECTOR.add(ctx, audience, members)
    by_key = {r.key: r for r in result.results}
    assert by_key["i"].status is RecordStatus.ACCEPTED
    rejected = [by_key[f"k{i}"] for i in range(5)]
    assert {(r.status, r.code) for r in rejected} == {(RecordStatus.REJECTED, "31001")}
    assert "100 MB" in (rejected[0].reason or "")
    assert result.job is not None and len(result.job.data["files"]) == 1


async def test_large_files_are_zipped_and_small_ones_sent_as_text() -> None:
    platform = fake(processing_polls=0)
    ctx = context(platform)
    audience = await audience_on(platform, ctx)
    many = [phone(f"k{i}", f"139{i:08d}") for i in range(10_000)]  # 330 kB of lines
    await CONNECTOR.add(ctx, audience, many)
    await CONNECTOR.add(ctx, audience, many[:10])
    big, small = sorted(platform.files.values(), key=lambda f: f.file_id)
    assert big.filename == "ids.zip" and big.size < 330_000 and len(big.lines) == 10_000
    assert small.filename == "ids.txt" and len(small.lines) == 10


def test_files_split_under_the_size_cap_and_zip_round_trips() -> None:
    file = IdFile("HASH_MOBILE_PHONE")
    for i in range(10):
        file.lines[md5(str(i))] = [f"k{i}", f"twin{i}"] if i == 9 else [f"k{i}"]
    chunks = list(file.chunks(max_bytes=33 * 4))  # four 33-byte lines per file
    assert [len(c) for c in chunks] == [4, 4, 2]
    assert [line for chunk in chunks for line in chunk] == list(file.lines)
    assert file.keys(chunks[2]) == ["k8", "k9", "twin9"]
    encoded = encode(list(file.lines), zip_above=10)
    with zipfile.ZipFile(io.BytesIO(encoded.content)) as archive:
        assert archive.namelist() == ["ids.txt"]
        assert archive.read("ids.txt").decode() == "\n".join(file.lines) + "\n"
    plain = encode(["a", "b"])
    assert (plain.filename, plain.content) == ("ids.txt", b"a\nb\n")


async def test_duplicate_ids_in_a_batch_make_one_line() -> None:
    platform = fake(processing_polls=0)
    ctx = context(platform)
    audience = await audience_on(platform, ctx)
    result = await CONNECTOR.add(
        ctx, audience, [phone("a", "13800138000"), phone("b", "13800138000")]
    )
    assert {r.status for r in result.results} == {RecordStatus.ACCEPTED}
    (upload,) = platform.files.values()
    assert upload.lines == [md5("13800138000")]
