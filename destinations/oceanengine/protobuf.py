"""The DMP upload line format: ``DmpData`` protobuf messages, encoded by hand.

The schema (proto2, package ``toutiao.dmp``; shared/platforms/oceanengine.md §4)::

    message DmpData { repeated IdItem idList = 1; }
    message IdItem {
      optional uint32 timestamp = 1;
      required DataType dataType = 2;
      required string id = 3;
      repeated string tags = 4;
    }

Two messages and four field kinds do not earn a dependency on ``protobuf`` and a
generated module: a varint, a key and a length prefix are all the wire format needs.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from enum import IntEnum

__all__ = ["MAX_ITEMS_PER_LINE", "DataType", "IdItem", "encode_dmp_data", "encode_line", "varint"]

#: ``DmpData`` messages hold at most this many ``IdItem``s (one base64 line each).
MAX_ITEMS_PER_LINE = 10_000

# Wire types of the protobuf encoding.
_VARINT = 0
_LENGTH_DELIMITED = 2


class DataType(IntEnum):
    """``IdItem.DataType``: what kind of id a line item carries."""

    IMEI = 0
    IDFA = 1
    UID = 2
    IMEI_MD5 = 4
    IDFA_MD5 = 5
    MOBILE_HASH_SHA256 = 6
    OAID = 7
    OAID_MD5 = 8


IdItem = tuple[DataType, str]
"""One id to upload: its ``dataType`` and its (already lower-case) ``id``."""


def varint(value: int) -> bytes:
    """``value`` as a base-128 varint, least significant group first.

    Raises:
        ValueError: For a negative value (no field here is signed).
    """
    if value < 0:
        raise ValueError(f"varint of a negative number: {value}")
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _key(field: int, wire_type: int) -> bytes:
    return varint(field << 3 | wire_type)


def _length_delimited(field: int, payload: bytes) -> bytes:
    return _key(field, _LENGTH_DELIMITED) + varint(len(payload)) + payload


def encode_id_item(data_type: DataType, id: str) -> bytes:
    """One serialized ``IdItem``; ``timestamp`` is left out (the file's time applies)."""
    return _key(2, _VARINT) + varint(int(data_type)) + _length_delimited(3, id.encode())


def encode_dmp_data(items: Iterable[IdItem]) -> bytes:
    """One serialized ``DmpData`` holding ``items``.

    Raises:
        ValueError: When there are more than :data:`MAX_ITEMS_PER_LINE` items.
    """
    out = bytearray()
    count = 0
    for data_type, id in items:
        out += _length_delimited(1, encode_id_item(data_type, id))
        count += 1
    if count > MAX_ITEMS_PER_LINE:
        raise ValueError(f"a DmpData line holds at most {MAX_ITEMS_PER_LINE} ids, not {count}")
    return bytes(out)


def encode_line(items: Iterable[IdItem]) -> str:
    """One line of an upload file: the standard base64 of a ``DmpData``, with padding."""
    return base64.b64encode(encode_dmp_data(items)).decode("ascii")
