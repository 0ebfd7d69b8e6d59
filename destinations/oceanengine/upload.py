"""Upload files: members' prepared ids as ``DmpData`` lines, zipped, with their MD5.

The hub has already normalized and hashed every identifier as the connector's
``accepts`` rules say; this module only checks each value has the form the platform
parses (a malformed line fails the platform's parse of the whole file, so one bad
member must be refused alone, here, instead) and lays the ids out in files.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from datetime import datetime

import msgspec

from junction.destinations.oceanengine.protobuf import MAX_ITEMS_PER_LINE, DataType, IdItem
from junction.destinations.oceanengine.protobuf import encode_line as _encode_line
from junction.plugins import Member

__all__ = [
    "MAX_ITEMS_PER_FILE",
    "MAX_ZIP_BYTES",
    "UploadFile",
    "bootstrap_file",
    "build_files",
    "member_items",
]

#: The platform refuses zips over 50 MB.
MAX_ZIP_BYTES = 50 * 1024 * 1024
#: Ids per zip. The upload endpoint gives up after ~10 s, so files stay a few MB each
#: (100,000 SHA-256 ids are ~9 MB of lines, ~5 MB zipped) and a batch uploads several.
MAX_ITEMS_PER_FILE = 100_000

_HEX32 = re.compile(r"[0-9a-f]{32}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_IMEI = re.compile(r"[0-9a-f]{14,16}")
_DIGITS = re.compile(r"[0-9]{1,32}")
_RAW_DEVICE = re.compile(r"[0-9a-z][0-9a-z-]{0,127}")

#: The form each data type's ``id`` must have (proto: "must be lowercase").
FORMATS: dict[DataType, tuple[re.Pattern[str], str]] = {
    DataType.IMEI: (_IMEI, "14-16 lower-case digits or hex digits"),
    DataType.IDFA: (_RAW_DEVICE, "a lower-case device id"),
    DataType.UID: (_DIGITS, "a numeric user id"),
    DataType.IMEI_MD5: (_HEX32, "32 lower-case hex digits (MD5)"),
    DataType.IDFA_MD5: (_HEX32, "32 lower-case hex digits (MD5)"),
    DataType.MOBILE_HASH_SHA256: (_HEX64, "64 lower-case hex digits (SHA-256)"),
    DataType.OAID: (_RAW_DEVICE, "a lower-case device id"),
    DataType.OAID_MD5: (_HEX32, "32 lower-case hex digits (MD5)"),
}


class UploadFile(msgspec.Struct, frozen=True, kw_only=True):
    """One zip to upload: its bytes, the ``file_signature`` and how many ids it holds."""

    name: str
    data: bytes
    signature: str
    items: int


def member_items(member: Member) -> list[IdItem] | str:
    """The ``IdItem``s of ``member``, or why it can't be sent (a sentence)."""
    items: list[IdItem] = []
    for identifier in member.identifiers:
        key = identifier.platform_key
        try:
            data_type = DataType[key or ""]
        except KeyError:
            return f"{identifier.type} has no Ocean Engine data type (platform key {key!r})"
        pattern, wanted = FORMATS[data_type]
        if not pattern.fullmatch(identifier.value):
            return f"{data_type.name} id must be {wanted}"
        items.append((data_type, identifier.value))
    if not items:
        return "the member has no identifier"
    return items


def build_files(
    items: Sequence[IdItem], *, prefix: str, now: datetime, per_file: int = MAX_ITEMS_PER_FILE
) -> list[UploadFile]:
    """Zips of at most ``per_file`` ids each, in lines of at most 10,000."""
    files = []
    for number, start in enumerate(range(0, len(items), per_file), start=1):
        chunk = items[start : start + per_file]
        text = "".join(line + "\n" for line in _lines(chunk))
        files.append(_zip(f"{prefix}-{number:04d}", text, len(chunk), now))
    return files


def bootstrap_file(*, prefix: str, now: datetime) -> UploadFile:
    """A zip of one empty file: a data source can only be created from a file."""
    return _zip(f"{prefix}-empty", "", 0, now)


def _lines(items: Sequence[IdItem]) -> Iterator[str]:
    for start in range(0, len(items), MAX_ITEMS_PER_LINE):
        yield _encode_line(items[start : start + MAX_ITEMS_PER_LINE])


def _zip(name: str, text: str, items: int, now: datetime) -> UploadFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(f"{name}.txt", date_time=now.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, text)
    data = buffer.getvalue()
    if len(data) > MAX_ZIP_BYTES:  # unreachable with MAX_ITEMS_PER_FILE; kept as a guard
        raise ValueError(f"{name}.zip is {len(data)} bytes, over the platform's 50 MB")
    return UploadFile(
        name=f"{name}.zip", data=data, signature=hashlib.md5(data).hexdigest(), items=items
    )
