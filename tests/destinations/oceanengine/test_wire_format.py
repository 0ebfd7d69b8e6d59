"""The upload file format: hand-encoded protobuf lines, zipped, signed with their MD5.

The fake decodes with its own decoder (tests/fakes/oceanengine.py), so a round trip
through it checks the encoder against an independent reading of the .proto.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from datetime import UTC, datetime

import pytest

from junction.destinations.oceanengine.protobuf import (
    MAX_ITEMS_PER_LINE,
    DataType,
    encode_dmp_data,
    encode_id_item,
    encode_line,
    varint,
)
from junction.destinations.oceanengine.upload import bootstrap_file, build_files

from ...fakes.oceanengine import ApiError, decode_dmp_data, parse_zip

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
PHONE_SHA256 = "a6942f9771d67f34034d2f1926988ed3fad3bf1b4e7cedb9a31f31398dea43bc"
#: oceanengine.md §4, the worked example for 13800138000.
SPEC_LINE = (
    "CkQQBhpAYTY5NDJmOTc3MWQ2N2YzNDAzNGQyZjE5MjY5ODhlZDNmYWQzYmYxYjRlN2NlZGI5YTMxZjMx"
    "Mzk4ZGVhNDNiYw=="
)


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (0, b"\x00"),
        (1, b"\x01"),
        (127, b"\x7f"),
        (128, b"\x80\x01"),
        (300, b"\xac\x02"),  # the protobuf encoding guide's example
        (2**32 - 1, b"\xff\xff\xff\xff\x0f"),
    ],
)
def test_varint_matches_the_protobuf_encoding(value: int, encoded: bytes) -> None:
    assert varint(value) == encoded


def test_varint_refuses_negative_numbers() -> None:
    with pytest.raises(ValueError, match="negative"):
        varint(-1)


def test_spec_worked_example_is_reproduced_byte_for_byte() -> None:
    item = encode_id_item(DataType.MOBILE_HASH_SHA256, PHONE_SHA256)
    assert item[:4] == bytes([0x10, 0x06, 0x1A, 0x40])
    assert encode_dmp_data([(DataType.MOBILE_HASH_SHA256, PHONE_SHA256)])[:2] == b"\x0a\x44"
    assert encode_line([(DataType.MOBILE_HASH_SHA256, PHONE_SHA256)]) == SPEC_LINE


def test_every_data_type_round_trips_through_the_fakes_decoder() -> None:
    items = [
        (DataType.IMEI, "868049039501257"),
        (DataType.IDFA, "ff1999cd-7177-4937-a474-74937a102630"),
        (DataType.UID, "4213371"),
        (DataType.IMEI_MD5, "8d3ebd3654fb46a2832296669cf1b536"),
        (DataType.IDFA_MD5, hashlib.md5(b"x").hexdigest()),
        (DataType.MOBILE_HASH_SHA256, PHONE_SHA256),
        (DataType.OAID, "a1b2c3d4-0000-1111-2222-333344445555"),
        (DataType.OAID_MD5, hashlib.md5(b"oaid").hexdigest()),
    ]
    raw = base64.b64decode(encode_line(items), validate=True)
    assert decode_dmp_data(raw) == [(t.name, v) for t, v in items]


def test_a_line_holds_at_most_ten_thousand_ids() -> None:
    items = [(DataType.UID, str(n)) for n in range(MAX_ITEMS_PER_LINE + 1)]
    with pytest.raises(ValueError, match="at most 10000"):
        encode_dmp_data(items)


def test_files_split_into_lines_and_zips_each_signed_with_its_md5() -> None:
    items = [(DataType.UID, str(n)) for n in range(60_000)]
    files = build_files(items, prefix="junction-append", now=NOW, per_file=25_000)
    assert [f.items for f in files] == [25_000, 25_000, 10_000]
    seen: set[tuple[str, str]] = set()
    for file in files:
        assert file.signature == hashlib.md5(file.data).hexdigest()
        assert file.name.startswith("junction-append-") and file.name.endswith(".zip")
        with zipfile.ZipFile(io.BytesIO(file.data)) as archive:
            (text,) = [archive.read(name).decode() for name in archive.namelist()]
        lines = text.splitlines()
        assert len(lines) == -(-file.items // MAX_ITEMS_PER_LINE)
        users, count = parse_zip(file.data)
        assert count == file.items
        seen |= users
    assert seen == {("UID", str(n)) for n in range(60_000)}


def test_bootstrap_file_is_a_zip_of_one_empty_file() -> None:
    file = bootstrap_file(prefix="junction-create", now=NOW)
    assert file.items == 0
    assert parse_zip(file.data) == (set(), 0)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (base64.b64encode(b"\x12\x03abc").decode(), "only idList"),
        (base64.b64encode(b"\x0a\x02\x10\x06").decode(), "needs dataType and id"),
        (base64.b64encode(b"\x0a\x05\x10\x03\x1a\x01a").decode(), "unknown dataType 3"),
        (base64.b64encode(b"\x0a\x05\x10\x02\x1a\x01A").decode(), "lower-case"),
        (base64.b64encode(b"\x0a\x09").decode(), "truncated"),
        ("not base64!", "not base64"),
    ],
)
def test_the_fake_refuses_malformed_lines(line: str, problem: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ids.txt", line + "\n")
    with pytest.raises(ApiError, match=problem):
        parse_zip(buffer.getvalue())
