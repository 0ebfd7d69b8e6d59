"""The PII registry: identifier normalizers, hashing for platforms, masking for display.

Identifiers are stored as received (:mod:`junction.core.model.identifiers`); this
package turns them into what identity resolution matches on and what each platform
expects::

    from junction.core.pii import default_registry as pii

    pii.normalize("phone", "138 0013 8000")                  # "+8613800138000"
    pii.prepare("Alex@Example.com ", IdentifierRule(type="email", hashing=Hashing.SHA256))
    pii.mask("email", "john.doe@example.com")                # "j***@example.com"

Errors: :class:`InvalidIdentifier` for one bad value (skip or dead-letter the
record); :class:`~junction.core.errors.ConfigError` for an unknown normalizer name or
region (fix the plugin or the settings).
"""

from __future__ import annotations

from ._types import Normalizer
from .errors import InvalidIdentifier
from .hashing import digest, is_digest, md5_hex, prepare, sha256_hex
from .junk import JUNK_VALUES, is_junk, is_zero_device_id
from .mask import mask, mask_email, mask_id, mask_phone
from .normalize import (
    DEFAULT_NORMALIZERS,
    builtin_normalizers,
    cn_mobile,
    default_normalizer,
    device_lower,
    device_upper,
    email_lower,
    gmail_canonical,
    imei,
    make_e164,
    make_e164_digits,
    trim,
)
from .registry import PiiRegistry, default_registry

__all__ = [
    "DEFAULT_NORMALIZERS",
    "JUNK_VALUES",
    "InvalidIdentifier",
    "Normalizer",
    "PiiRegistry",
    "builtin_normalizers",
    "cn_mobile",
    "default_normalizer",
    "default_registry",
    "device_lower",
    "device_upper",
    "digest",
    "email_lower",
    "gmail_canonical",
    "imei",
    "is_digest",
    "is_junk",
    "is_zero_device_id",
    "make_e164",
    "make_e164_digits",
    "mask",
    "mask_email",
    "mask_id",
    "mask_phone",
    "md5_hex",
    "prepare",
    "sha256_hex",
    "trim",
]
