"""Data sources as ``2/dmp/data_source/read/`` reports them, and their states."""

from __future__ import annotations

import hashlib
from enum import IntEnum
from typing import Any

import msgspec

from junction.plugins import Retryable

__all__ = [
    "ChangeLog",
    "DataSource",
    "DefaultAudience",
    "Operation",
    "Status",
    "data_source_name",
    "decode_data_sources",
]

#: ``data_source_name`` is at most 30 characters.
MAX_NAME = 30


class Operation(IntEnum):
    """``operation_type`` of ``data_source/update`` (change logs also use 0 = create)."""

    CREATE = 0
    APPEND = 1
    DELETE = 2
    RESET = 3


class Status(IntEnum):
    """Data source and change log ``status``."""

    CREATED = 0
    PROCESSING = 1
    COMPLETE = 2
    FAILED = 3


class ChangeLog(msgspec.Struct, frozen=True, kw_only=True):
    change_log_id: int | str
    action: int
    status: int
    file_paths: list[str] = []


class DefaultAudience(msgspec.Struct, frozen=True, kw_only=True):
    """The audience a data source gets once its first parse finished."""

    custom_audience_id: int
    name: str = ""
    push_status: int | None = None
    delivery_status: str | None = None
    cover_num: int | None = None
    upload_num: int | None = None


class DataSource(msgspec.Struct, frozen=True, kw_only=True):
    #: A string in the SDKs' models; numbers are accepted too (see :attr:`id`).
    data_source_id: str | int
    name: str = ""
    status: int = Status.CREATED
    cover_num: int | None = None
    upload_num: int | None = None
    change_logs: list[ChangeLog] = []
    default_audience: DefaultAudience | None = None

    @property
    def id(self) -> str:
        return str(self.data_source_id)

    def change_for(self, file_path: str) -> ChangeLog | None:
        """The change log that took ``file_path``, if the platform lists it yet."""
        for change in self.change_logs:
            if file_path in change.file_paths:
                return change
        return None

    @property
    def busy(self) -> bool:
        """True while any change of this data source is still being parsed."""
        return any(c.status in (Status.CREATED, Status.PROCESSING) for c in self.change_logs)


class _DataList(msgspec.Struct, frozen=True):
    data_list: list[DataSource] = []


def decode_data_sources(data: dict[str, Any]) -> list[DataSource]:
    """The data sources of a ``data_source/read`` answer.

    Raises:
        Retryable: When the answer does not have the documented shape.
    """
    try:
        return msgspec.convert(data, _DataList, strict=False).data_list
    except msgspec.ValidationError as exc:
        raise Retryable(f"Ocean Engine answered data_source/read unexpectedly: {exc}") from None


def data_source_name(segment: str) -> str:
    """The platform name for a segment's data source: itself, or a unique 30-char cut.

    Long names keep a readable head and end in a digest of the whole, so two segments
    sharing their first 21 characters still get two names.
    """
    if len(segment) <= MAX_NAME:
        return segment
    digest = hashlib.sha256(segment.encode()).hexdigest()[:8]
    return f"{segment[: MAX_NAME - 9]}-{digest}"
