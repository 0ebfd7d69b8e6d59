"""Digests platforms match on, and :func:`prepare`: normalize, then hash per rule.

Pre-hashed values: some sources deliver e-mails or phones already hashed. Such a value
is passed through unchanged only when the caller says ``prehashed=True`` (and it has
the digest's exact shape: lowercase hex of the rule's length). Without that flag a
value shaped like the rule's digest is refused, because hashing it again would send
a value that silently never matches.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

from junction.core.model.identifiers import IdentifierType
from junction.plugins.spec import Hashing, IdentifierRule

from .errors import InvalidIdentifier

if TYPE_CHECKING:
    from .registry import PiiRegistry

__all__ = ["digest", "is_digest", "md5_hex", "prepare", "sha256_hex"]

_DIGEST_SHAPES: dict[Hashing, re.Pattern[str]] = {
    Hashing.SHA256: re.compile(r"[0-9a-f]{64}"),
    Hashing.MD5: re.compile(r"[0-9a-f]{32}"),
    Hashing.MD5_SHA256: re.compile(r"[0-9a-f]{64}"),
}


def sha256_hex(value: str) -> str:
    """SHA-256 of the UTF-8 bytes of ``value``, as 64 lowercase hex characters."""
    return hashlib.sha256(value.encode()).hexdigest()


def md5_hex(value: str) -> str:
    """MD5 of the UTF-8 bytes of ``value``, as 32 lowercase hex characters.

    MD5 is broken as a cryptographic hash; it is here only because Chinese ad
    platforms still match on it.
    """
    return hashlib.md5(value.encode(), usedforsecurity=False).hexdigest()


def digest(value: str, hashing: Hashing) -> str:
    """``value`` hashed as ``hashing`` says; unchanged for :attr:`Hashing.NONE`."""
    if hashing is Hashing.SHA256:
        return sha256_hex(value)
    if hashing is Hashing.MD5:
        return md5_hex(value)
    if hashing is Hashing.MD5_SHA256:
        return sha256_hex(md5_hex(value))
    return value


def is_digest(value: str, hashing: Hashing) -> bool:
    """True when ``value`` is exactly a lowercase hex digest of ``hashing``'s length."""
    shape = _DIGEST_SHAPES.get(hashing)
    return shape is not None and shape.fullmatch(value) is not None


def prepare(
    value: str,
    rule: IdentifierRule,
    type: IdentifierType | str | None = None,
    *,
    prehashed: bool = False,
    registry: PiiRegistry | None = None,
) -> str:
    """Turn a raw value into what a platform expects for ``rule``.

    Normalizes with ``rule.normalizer`` (or the type's default), then hashes per
    ``rule.hashing``.

    Args:
        value: The identifier as stored (raw), or a digest when ``prehashed``.
        rule: The destination's rule for this identifier.
        type: The identifier type; ``rule.type`` when omitted.
        prehashed: ``value`` is already the digest ``rule.hashing`` asks for.
        registry: Where normalizers are looked up; the module's default registry
            when omitted.

    Raises:
        InvalidIdentifier: When the value is junk or can't be normalized; when
            ``prehashed`` and the value is not a lowercase digest of the rule's
            kind (or the rule sends raw values); when not ``prehashed`` and the value
            already looks like such a digest.
        ConfigError: When the rule names an unknown normalizer.
    """
    kind = rule.type if type is None else type
    if prehashed:
        if rule.hashing is Hashing.NONE:
            raise InvalidIdentifier(
                f"{kind} value is pre-hashed but the rule sends raw values; "
                "a digest can't be un-hashed"
            )
        if not is_digest(value, rule.hashing):
            raise InvalidIdentifier(
                f"{kind} {value!r} is not a {rule.hashing} digest "
                "(lowercase hex of the right length)"
            )
        return value
    if is_digest(value.strip().lower(), rule.hashing):
        raise InvalidIdentifier(
            f"{kind} {value!r} looks like a {rule.hashing} digest already; "
            "pass prehashed=True if it is one"
        )
    if registry is None:
        # Imported here: the registry module imports this one for its own prepare().
        from .registry import default_registry

        registry = default_registry
    normalized = registry.normalize(kind, value, rule.normalizer)
    return digest(normalized, rule.hashing)
