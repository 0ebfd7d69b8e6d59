"""Identifiers as ID-mapping stores and matches them: normalized, PII hashed.

A :class:`Key` is what the ``identities`` table's unique (type, scope, value) holds:
phone and e-mail values are normalized and replaced by their SHA-256 (the raw value is
kept only encrypted, for channels that must send to it); other types are trimmed.
Junk values ("null", all-zero device ids) and values that can't be normalized are
dropped here, so they never link anybody.
"""

from __future__ import annotations

from typing import NamedTuple

from junction.core.model import PII_TYPES, Identifier
from junction.core.pii import InvalidIdentifier, PiiRegistry, sha256_hex


class Key(NamedTuple):
    type: str
    scope: str
    value: str


class PreparedKey(NamedTuple):
    key: Key
    #: The normalized raw value of a PII type (to encrypt); None for other types.
    raw: str | None


def prepare_keys(
    identifiers: list[Identifier], registry: PiiRegistry
) -> tuple[list[PreparedKey], list[str]]:
    """Normalize and hash ``identifiers``; return the keys and why any were skipped."""
    prepared: dict[Key, PreparedKey] = {}
    skipped: list[str] = []
    for identifier in identifiers:
        kind = str(identifier.type)
        if registry.is_junk(kind, identifier.value):
            skipped.append(f"{kind}: placeholder value")
            continue
        try:
            normalized = registry.normalize(kind, identifier.value)
        except InvalidIdentifier:
            # The error message quotes the raw value; a PII value must not reach logs.
            skipped.append(f"{kind}: not a valid {kind}")
            continue
        if kind in PII_TYPES:
            key, raw = Key(kind, identifier.scope, sha256_hex(normalized)), normalized
        else:
            key, raw = Key(kind, identifier.scope, normalized), None
        prepared.setdefault(key, PreparedKey(key, raw))
    return list(prepared.values()), skipped
