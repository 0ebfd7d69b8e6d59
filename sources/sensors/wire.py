"""The ``/sa`` wire format: form fields holding base64 (optionally gzip) JSON.

Server SDKs POST ``data=<b64(gzip(json))>&gzip=1`` for one record and
``data_list=<b64(gzip("[...]"))>&gzip=1`` for a batch. The browser SDK sends
``data=<b64(json)>&ext=crc%3D<hash>`` (GET beacon or POST) and ``data_list=<b64(json)>``
without gzip. Base64 is mandatory; gzip is optional (``gzip`` absent or ``0``).
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Mapping
from typing import Any

__all__ = ["MAX_DECODED_BYTES", "MAX_RECORDS", "Payload", "WireError", "decode_payload", "js_hash"]

#: Decoded JSON per request. Sensors asks for at most 50 records per request; the
#: Python SDK's AsyncBatchConsumer sends up to 100 by default, so the caps are looser.
MAX_DECODED_BYTES = 5 * 1024 * 1024
MAX_RECORDS = 1000
_GZIP_MAGIC = b"\x1f\x8b"


class WireError(Exception):
    """The form fields can't be decoded; ``field`` names the form field at fault."""

    def __init__(self, field: str, message: str, *, code: str = "invalid_payload") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


class Payload:
    """The decoded records and which form field carried them (for error messages)."""

    def __init__(self, field: str, records: list[Any]) -> None:
        self.field = field
        self.records = records

    def where(self, index: int) -> str:
        """How to name record ``index`` to the sender: ``data`` or ``data_list[3]``."""
        if self.field == "data" and len(self.records) == 1:
            return "data"
        return f"{self.field}[{index}]"


def js_hash(text: str) -> int:
    """The browser SDK's ``crc``: Java's String.hashCode of the base64 text, as int32."""
    value = 0
    for char in text:
        value = (value * 31 + ord(char)) & 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def decode_payload(fields: Mapping[str, str]) -> Payload:
    """Decode ``data`` or ``data_list`` (with ``gzip`` and ``ext``) into JSON records.

    Raises:
        WireError: a field is missing, duplicated, not base64, not gzip when flagged,
            not UTF-8 JSON, fails its crc, or holds too much.
    """
    present = [name for name in ("data", "data_list") if fields.get(name)]
    if not present:
        raise WireError(
            "data", "no records: send a `data` or `data_list` form field", code="missing_data"
        )
    if len(present) == 2:
        raise WireError("data", "send either `data` or `data_list`, not both")
    field = present[0]
    # A `+` that reached us unescaped (a hand-built beacon URL) was read as a space;
    # base64 has no spaces, so turning them back is lossless.
    text = fields[field].strip().replace(" ", "+")
    _check_crc(fields.get("ext"), text)
    compressed = _gzip_flag(fields.get("gzip"))
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise WireError(field, f"`{field}` is not valid base64") from None
    if compressed:
        data = _gunzip(field, data)
    elif len(data) > MAX_DECODED_BYTES:
        raise _too_large(field)
    if not compressed and data[:2] == _GZIP_MAGIC:
        raise WireError(
            field, f"`{field}` holds gzip data: it was sent gzip-compressed without gzip=1"
        )
    try:
        decoded = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise WireError(field, f"`{field}` does not decode to UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise WireError(field, f"`{field}` is not valid JSON: {exc}") from None
    if field == "data" and isinstance(decoded, dict):
        records: list[Any] = [decoded]
    elif isinstance(decoded, list):
        records = decoded
    else:
        expected = "an object or an array" if field == "data" else "an array"
        raise WireError(field, f"`{field}` must decode to {expected} of records")
    if not records:
        raise WireError(field, f"`{field}` holds no records")
    if len(records) > MAX_RECORDS:
        raise WireError(
            field,
            f"`{field}` holds {len(records)} records; at most {MAX_RECORDS} per request "
            "(Sensors recommends 50)",
            code="too_many_records",
        )
    return Payload(field, records)


def _check_crc(ext: str | None, text: str) -> None:
    if not ext:
        return
    params = dict(part.partition("=")[::2] for part in ext.split("&") if part)
    crc = params.get("crc")
    if crc is None:
        return  # ext carries other facts too; only crc is checked
    try:
        expected = int(crc)
    except ValueError:
        raise WireError("ext", f"crc {crc!r} in `ext` is not an integer") from None
    if js_hash(text) != expected:
        raise WireError(
            "ext", "the crc in `ext` does not match `data`: the payload was altered in transit"
        )


def _gzip_flag(value: str | None) -> bool:
    if value in (None, "", "0"):
        return False
    if value == "1":
        return True
    raise WireError("gzip", f"`gzip` must be 1 or 0, not {value!r}")


def _gunzip(field: str, data: bytes) -> bytes:
    # Inflate at most one byte past the limit, so a small bomb can't fill memory.
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, MAX_DECODED_BYTES + 1)
    except zlib.error:
        raise WireError(field, f"`{field}` is not gzip data, but gzip=1 says it is") from None
    if len(out) > MAX_DECODED_BYTES:
        raise _too_large(field)
    if not inflater.eof:
        raise WireError(field, f"`{field}` holds a truncated gzip stream")
    return out


def _too_large(field: str) -> WireError:
    return WireError(
        field,
        f"`{field}` decodes to more than {MAX_DECODED_BYTES // (1024 * 1024)} MB; "
        "send fewer records per request",
        code="payload_too_large",
    )


def form_fields(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Form or query pairs as a dict; a repeated field is refused, not silently picked."""
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields and name in ("data", "data_list", "gzip", "token", "project"):
            raise WireError(name, f"`{name}` is given more than once")
        fields[name] = value
    return fields
