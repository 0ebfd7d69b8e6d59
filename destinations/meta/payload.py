"""Members as Meta's multi-key customer-file rows, and Meta's counts back as results.

A member becomes one row per value of its most-valued key: a person with two e-mails
and one phone is ``[e1, p1]`` and ``[e2, ""]`` (Meta matches each row on its own).
Values arrive normalized and hashed by the hub as the spec's rules say, so nothing is
hashed here; unknown cells are ``""`` (meta.md §3.1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from junction.plugins import Member, RecordResult, RecordStatus

__all__ = [
    "KEY_ORDER",
    "LDU_KEY",
    "MAX_ROWS",
    "Chunk",
    "Rows",
    "invalid_samples",
    "session_id",
]

#: The multi-key columns the hub can fill, in the order they are sent.
KEY_ORDER = ("EXTERN_ID", "EMAIL", "PHONE", "MADID")
#: Identifier type → Meta key, for identifiers that arrive without a platform key.
KEY_OF_TYPE = {"user_id": "EXTERN_ID", "email": "EMAIL", "phone": "PHONE", "idfa": "MADID"}
#: Limited Data Use column: its cell is a list, ``["LDU"]``.
LDU_KEY = "DATA_PROCESSING_OPTIONS"
#: Rows per ``/users`` or ``/usersreplace`` request (meta.md §8).
MAX_ROWS = 10_000
_INT63 = (1 << 63) - 1


def session_id(*parts: str) -> int:
    """A positive int64 session id derived from ``parts``: a retry reuses the session."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return (int.from_bytes(digest[:8], "big") & _INT63) or 1


@dataclass(frozen=True)
class Chunk:
    """The rows of one request, with the member index each row belongs to."""

    owners: tuple[int, ...]
    data: tuple[tuple[str, ...], ...]

    def payload(self, schema: Sequence[str], limited_data_use: bool) -> dict[str, Any]:
        data: list[list[Any]] = [list(row) for row in self.data]
        columns = list(schema)
        if limited_data_use:
            columns.append(LDU_KEY)
            for row in data:
                row.append(["LDU"])
        return {"schema": columns, "is_raw": True, "data": data}


@dataclass
class Rows:
    """One batch of members laid out as rows of a common schema."""

    schema: tuple[str, ...]
    owners: list[int] = field(default_factory=list)
    data: list[tuple[str, ...]] = field(default_factory=list)
    #: Members with nothing Meta takes, by index, with the reason.
    unsendable: dict[int, str] = field(default_factory=dict)

    @classmethod
    def of(cls, members: Sequence[Member]) -> Rows:
        values = [_values_by_key(member) for member in members]
        present = {key for by_key in values for key in by_key}
        rows = cls(schema=tuple(key for key in KEY_ORDER if key in present))
        for index, by_key in enumerate(values):
            if not by_key:
                types = sorted({i.type for i in members[index].identifiers}) or ["none"]
                rows.unsendable[index] = (
                    f"no identifier Meta takes (got {', '.join(types)}; it takes "
                    f"{', '.join(KEY_ORDER)})"
                )
                continue
            columns = [by_key.get(key, []) for key in rows.schema]
            for row in zip_longest(*columns, fillvalue=""):
                rows.owners.append(index)
                rows.data.append(tuple(row))
        return rows

    def chunks(self, size: int = MAX_ROWS) -> Iterator[Chunk]:
        for start in range(0, len(self.data), size):
            yield Chunk(
                owners=tuple(self.owners[start : start + size]),
                data=tuple(self.data[start : start + size]),
            )

    def results(
        self, members: Sequence[Member], invalid: Mapping[str, str]
    ) -> tuple[RecordResult, ...]:
        """One result per member: rejected when Meta called every value it sent invalid.

        ``invalid`` maps values Meta sampled as invalid to its reason. A member with
        some valid values is accepted: Meta matches on those.
        """
        sent: dict[int, set[str]] = {}
        for owner, row in zip(self.owners, self.data, strict=True):
            sent.setdefault(owner, set()).update(value for value in row if value)
        results = []
        for index, member in enumerate(members):
            if index in self.unsendable:
                reason = self.unsendable[index]
                results.append(_rejected(member.key, reason, "no_identifier"))
                continue
            values = sent[index]
            bad = sorted(value for value in values if value in invalid)
            if bad and len(bad) == len(values):
                reason = "; ".join(sorted({invalid[value] for value in bad}))
                results.append(_rejected(member.key, f"Meta: {reason}", "invalid_entry"))
            else:
                results.append(RecordResult(key=member.key, status=RecordStatus.ACCEPTED))
        return tuple(results)


def invalid_samples(answer: Mapping[str, Any]) -> dict[str, str]:
    """``invalid_entry_samples`` as value → reason.

    Documented only as an object (meta.md §3); read as value → reason, and tolerate a
    list of values, so an unexpected shape loses attribution, never results.
    """
    samples = answer.get("invalid_entry_samples")
    if isinstance(samples, dict):
        return {str(value): str(reason or "invalid entry") for value, reason in samples.items()}
    if isinstance(samples, list):
        return {str(value): "invalid entry" for value in samples if isinstance(value, str)}
    return {}


def _values_by_key(member: Member) -> dict[str, list[str]]:
    by_key: dict[str, list[str]] = {}
    for identifier in member.identifiers:
        key = identifier.platform_key or KEY_OF_TYPE.get(identifier.type)
        if key not in KEY_ORDER or not identifier.value:
            continue
        values = by_key.setdefault(key, [])
        if identifier.value not in values:
            values.append(identifier.value)
    return by_key


def _rejected(key: str, reason: str, code: str) -> RecordResult:
    return RecordResult(key=key, status=RecordStatus.REJECTED, reason=reason, code=code)
